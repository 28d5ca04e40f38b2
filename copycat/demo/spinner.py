"""A context-blind "article spinner", like the tools copycat sites use to disguise copies.

It swaps words for entries of a small thesaurus without looking at the context, which gives
the tell-tale odd phrasing of spun text ("told" -> "instructed", "front line" -> "entrance
line", "source link" -> "supply hyperlink"). The table is our own and covers the common words
of the articles written by :mod:`copycat.demo.text`.
"""

from __future__ import annotations

import random
import re

__all__ = ["SYNONYMS", "spin"]

_RAW_TABLE = """
about: regarding, concerning, approximately
accepted: approved, authorised
according: in accordance
acknowledged: recognised, admitted
add: include, append
added: included, extra
admitted: confessed, accepted
advised: suggested, recommended
affected: impacted, influenced
after: following, subsequent to
again: once more, anew
ago: previously, back
agreed: concurred, consented
agrees: concurs, consents
alternatives: options, substitutes
amid: amongst, in the midst of
announced: declared, introduced
announcement: declaration, proclamation
announces: declares, publicizes
annual: yearly, once-a-year
answer: reply, response
answered: replied, responded
approach: method, strategy
approaches: methods, nears
approved: authorised, accepted
approves: endorses, authorises
area: space, region
areas: zones, regions
argued: contended, reasoned
around: roughly, round
asked: requested, questioned
atmosphere: environment, ambiance
authority: power, expert
available: accessible, obtainable
backed: supported, endorsed
backlash: reaction, counterattack
backs: helps, backside
beat: crushed, thrashed
before: earlier than, prior to
began: commenced, started
begin: commence, start
begins: commences, starts
believe: consider, suppose
big: large, huge
bigger: larger, greater
biggest: largest, greatest
bills: payments, expenses
blocked: obstructed, clogged
bluntly: frankly, curtly
board: panel, plank
boost: increase, enhance
breakdown: collapse, analysis
brief: short, temporary
briefing: instruction, rundown
brings: delivers, carries
brought: delivered, carried
budget: finances, spending plan
building: constructing, establishing
builds: constructs, erects
business: enterprise, commerce
businesses: companies, enterprises
called: known as, referred to as
campaign: marketing campaign, crusade
campaigners: activists, marketing campaigners
care: caring, concern
cautious: careful, wary
centre: middle, heart
chair: chairman, seat
challenge: problem, problem
chances: possibilities, probabilities
change: alteration, transformation
changed: altered, modified
changes: alterations, adjustments
charges: prices, fees
check: test, verify
chief: main, principal
children: youngsters, kids
choices: selections, options
city: metropolis, town
claims: asserts, statements
clear: apparent, obvious
climb: ascend, scale
close: shut, near
closed: shut, closed down
closely: carefully, intently
club: membership, golf equipment
coming: forthcoming, upcoming
comment: remark, observation
community: neighborhood, group
company: firm, corporation
complained: grumbled, moaned
complaints: grievances, objections
concerns: issues, worries
confirmed: verified, affirmed
confirms: verifies, affirms
consulted: referred to, sought advice from
continue: proceed, keep on
cost: expense, value
costs: bills, prices
could: may, might
council: authority, board
councillors: council members, officials
create: generate, produce
crews: groups, workforce
criticism: criticism and disapproval, condemnation
crowd: throng, mass
crucial: essential, important
cut: reduce, lower
cuts: reductions, cutbacks
damage: harm, destruction
data: knowledge, information
day: day time, date
days: instances, occasions
debate: dispute, argument
decade: ten years, decennium
decision: resolution, determination
decisions: selections, judgements
declined: refused, decreased
defeated: overwhelmed, beaten
defends: protects, guards
delays: setbacks, holdups
demand: requirement, need
demands: calls for, requires
department: division, section
described: mentioned, characterised
despite: regardless of, in spite of
detail: element, particular
details: particulars, specifics
developing: creating, growing
difficult: tough, troublesome
disruption: interruption, disturbance
divided: separated, cut up
documents: paperwork, papers
double: twin, dual
dozens: scores, heaps
drawn: pulled, attracted
dropped: fell, decreased
earlier: previous, sooner
early: untimely, premature
effects: results, penalties
emergency: crisis, disaster
employs: makes use of, utilises
end: finish, conclusion
engineers: technicians, mechanics
enjoy: take pleasure in, relish
estimate: approximation, guess
estimates: approximations, calculations
everyone: everybody, all people
evidence: proof, proof
expands: widens, broadens
expansion: growth, enlargement
expected: anticipated, predicted
experts: specialists, consultants
explained: defined, clarified
explains: clarifies, describes
extend: prolong, lengthen
extra: additional, further
face: encounter, visage
faced: confronted, encountered
faces: confronts, encounters
facility: facility, amenity
families: households, family members
fans: followers, lovers
fares: fees, passes
fears: fears and anxieties, anxieties
feel: really feel, sense
felt: experienced, sensed
figure: determine, quantity
figures: numbers, collectible figurines
final: last, ultimate
fires: blazes, dismisses
first: preliminary, initial
flood: deluge, inundation
flooding: inundation, deluge
followers: supporters, fans
following: after, subsequent
forward: ahead, onward
found: discovered, positioned
fresh: recent, new
front: entrance, entrance
frustrating: irritating, maddening
full: complete, total
funding: financing, backing
further: extra, additional
games: video games, sport
gap: hole, hole
gathered: collected, assembled
given: offered, supplied
goal: purpose, objective
good: great, nice
ground: floor, earth
groups: teams, clusters
growing: rising, increasing
grown: grown-up, matured
grows: develops, expands
gusts: blasts, puffs
happy: glad, joyful
hard: exhausting, tough
heard: listened to, overheard
heated: warmed, hot
heavy: weighty, hefty
help: assist, support
helped: assisted, aided
helps: aids, assists
homes: properties, residences
hope: hope and optimism, wish
hours: hrs, hrs
however: nonetheless, nevertheless
important: necessary, essential
increase: enhance, improve
increased: elevated, boosted
independent: impartial, unbiased
information: data, info
injury: harm, damage
insisted: demanded, confused
investment: funding, funding
issue: subject, problem
issued: granted, distributed
issues: points, problems
job: work, task
jobs: positions, roles
journey: trip, voyage
journeys: travels, trips
key: main, important
kind: sort, type
large: giant, massive
largest: greatest, biggest
last: final, previous
late: delayed, belated
later: afterward, subsequently
latest: newest, most recent
leader: chief, head
learned: realized, discovered
leaves: foliage, departs
left: remaining, still left
lessons: classes, teachings
life: existence, lifestyle
likely: possible, possible
link: hyperlink, hyperlink
list: checklist, record
lists: lists, listings
little: small, tiny
local: native, regional
long: lengthy, prolonged
lose: misplace, forfeit
lost: misplaced, lost out
main: primary, foremost
major: main, main
managers: supervisors, directors
match: sport, match-up
matches: fits, suits
meeting: assembly, gathering
members: individuals, associates
million: million, mn
minutes: moments, minutes
missed: neglected, skipped
money: cash, funds
month: 30 days, month
months: months, many months
more: extra, additional
most: majority of, most of
mount: climb, rise
move: transfer, relocate
much: a lot, a great deal
need: want, require
needed: required, wanted
neighbouring: adjoining, adjacent
new: fresh, contemporary
news: information, information
next: subsequent, following
noted: famous, identified
number: quantity, amount
numbers: figures, quantities
officers: officials, personnel
officials: authorities, executives
older: aged, elderly
online: on-line, on the web
open: open up, uncover
opened: unwrapped, unlocked
opportunity: chance, alternative
opposition: opposition party, resistance
options: choices, alternatives
overall: general, total
overcome: conquer, surmount
overhaul: renovation, revamp
paper: paper, newspaper
part: section, portion
passengers: travellers, riders
past: beyond, former
patients: sufferers, affected person
pay: pay out, spend
people: individuals, folks
percent: p.c, percentage
period: interval, time period
picture: image, photograph
place: location, spot
plan: scheme, blueprint
planned: deliberate, prepared
planning: preparing, arranging
plans: schemes, strategies
players: gamers, players
pointed: indicated, sharp
possible: attainable, potential
power: energy, electrical power
pressure: strain, stress
pressures: strains, stresses
previous: prior, earlier
private: personal, non-public
problem: downside, drawback
problems: issues, difficulties
process: course of, procedure
programme: program, scheme
promised: pledged, vowed
proposals: suggestions, recommendations
proposed: prompt, recommended
protected: safeguarded, shielded
public: common, communal
published: revealed, printed
question: query, query
questions: queries, inquiries
quickly: rapidly, swiftly
quiet: silent, hushed
rain: rainfall, downpour
raised: elevated, lifted
rather: fairly, somewhat
reached: attained, arrived at
real: actual, genuine
recent: current, latest
recently: lately, not too long ago
recorded: recorded, logged
reduce: decrease, lower
region: area, zone
regional: local, provincial
released: launched, launched
remain: stay, continue to be
remains: stays, continues
replied: responded, answered
report: document, file
reported: reported, documented
reporters: journalists, correspondents
residents: inhabitants, occupants
response: reply, reaction
rest: remainder, relaxation
result: consequence, end result
results: outcomes, outcomes
revealed: exposed, uncovered
revenue: income, earnings
review: overview, evaluate
rise: increase, rise up
risen: climbed, elevated
rises: will increase, climbs
risk: threat, danger
road: highway, street
roads: highways, streets
row: line, argument
run: operate, sprint
said: stated, mentioned
say: state, declare
says: states, says
school: faculty, college
schools: faculties, colleges
scored: attained, netted
season: time of year, period
second: second, 2nd
see: view, observe
seen: noticed, observed
services: providers, companies
session: period, sitting
set: established, arranged
sets: units, places
several: a number of, numerous
share: proportion, portion
shaves: trims, razors
shop: store, boutique
shortfall: deficit, shortage
show: present, display
showed: confirmed, displayed
shut: closed, sealed
side: aspect, facet
sign: signal, indicator
signs: indicators, indications
similar: comparable, related
simply: merely, just
site: location, website
small: little, tiny
social: societal, communal
some: a few, certain
source: supply, origin
spending: expenditure, spending money
split: break up, divided
spoke: talked, spoken
spokesperson: representative, speaker
staff: workers, employees
stands: stalls, stays
start: begin, commence
statement: assertion, declaration
step: stride, stage
still: nonetheless, even now
storm: tempest, gale
story: tale, narrative
strategy: technique, plan
strike: hit, walkout
strong: robust, powerful
supported: backed, supported
supporters: backers, proponents
sure: certain, positive
survey: examine, ballot
table: desk, chart
tackle: handle, deal with
team: crew, squad
thanks: because of, thanks to
think: suppose, assume
threat: danger, menace
time: interval, period
timetable: schedule, timeline
timing: scheduling, timing
told: instructed, advised
total: complete, whole
town: city, township
trade: commerce, commerce
trains: coaches, locomotives
travelling: touring, journeying
treatment: remedy, therapy
trips: journeys, outings
trust: belief, confidence
unbeaten: undefeated, unconquered
unclear: uncertain, unsure
under: beneath, below
understand: perceive, comprehend
unveils: reveals, unwraps
upgrade: improve, improvement
urged: pressed, pushed
use: make use of, utilize
used: utilized, employed
users: customers, clients
victory: win, triumph
view: opinion, perspective
views: opinions, perspectives
visitors: guests, company
vote: ballot, poll
voted: elected, polled
wait: wait for, await
waiting: ready, waiting around
want: need, wish
warned: cautioned, alerted
warning: caution, alert
warnings: cautions, alerts
warns: cautions, alerts
way: method, manner
week: week, seven days
weeks: weeks, a number of weeks
welcomed: greeted, embraced
whole: entire, complete
wider: broader, extensive
win: victory, triumph
work: work, job
worked: labored, operated
workers: staff, employees
working: working, functioning
worried: anxious, concerned
worry: fear, concern
worth: value, price
year: 12 months, yr
years: years, a long time
young: younger, youthful
"""


def _parse(raw: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for line in raw.strip().splitlines():
        word, _, rest = line.partition(":")
        choices = tuple(dict.fromkeys(c.strip() for c in rest.split(",") if c.strip()))
        choices = tuple(c for c in choices if c != word.strip()) or choices
        table[word.strip()] = choices
    return table


SYNONYMS: dict[str, tuple[str, ...]] = _parse(_RAW_TABLE)
"""Lower-case word -> the replacements a careless spinner would pick for it."""

_WORD_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def _match_case(original: str, replacement: str) -> str:
    """Give ``replacement`` the capitalisation pattern of ``original``."""
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def spin(text: str, rate: float, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
    """Replace about ``rate`` of the words found in :data:`SYNONYMS` by a synonym.

    The choice ignores the context, exactly like real spinners; the case of the replaced word
    is kept. Returns the spun text and the list of ``(original, replacement)`` substitutions,
    in text order.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be between 0 and 1, got {rate!r}")
    substitutions: list[tuple[str, str]] = []

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        choices = SYNONYMS.get(word.lower())
        if not choices or rng.random() >= rate:
            return word
        new = _match_case(word, rng.choice(choices))
        substitutions.append((word, new))
        return new

    return _WORD_RE.sub(replace, text), substitutions
