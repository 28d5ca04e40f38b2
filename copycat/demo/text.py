"""Seeded generator of fictional local news events and the articles written about them.

Everything here is produced from our own word lists and sentence templates. A template is
plain text with two kinds of markup:

* ``{slot}`` is replaced by a fact of the event (a name, a place, a number, ...);
* ``[one|two|three]`` picks one alternative at random (alternatives may contain slots).

For one event the writer can produce several *independent* reports (different outlets): they
share the names, numbers and one or two verbatim quotes, but every other sentence comes from a
template the other reports did not use. Follow-up stories work the same way.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

__all__ = [
    "TOPICS",
    "Article",
    "Event",
    "NewsWriter",
    "Person",
    "Quote",
    "slugify",
]

# --------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------

# fmt: off
_FIRST_NAMES = (
    "Alice", "Amara", "Ben", "Bernadette", "Callum", "Chloe", "Darius", "Delia", "Edwin",
    "Elena", "Felix", "Fiona", "Gareth", "Grace", "Harriet", "Hugo", "Imogen", "Isaac", "Jasmine",
    "Joel", "Kieran", "Kirsty", "Leon", "Lydia", "Marcus", "Maya", "Nadia", "Neil", "Oliver",
    "Olwen", "Priya", "Patrick", "Quentin", "Rosa", "Rhys", "Sanjay", "Sophie", "Tobias", "Tessa",
    "Usha", "Victor", "Wendy", "Yusuf", "Zara",
)
_LAST_NAMES = (
    "Abbott", "Achterberg", "Bramley", "Carver", "Castellan", "Dunmore", "Ellery", "Fairbairn",
    "Fenwick", "Garside", "Halloran", "Hartigan", "Ibbotson", "Jessop", "Kavanagh", "Lanigan",
    "Lockwood", "Marchetti", "Meadows", "Nakamura", "Norcross", "Okafor", "Ormerod", "Pennock",
    "Quarrie", "Radcliffe", "Rowntree", "Sallis", "Sedgwick", "Tamblyn", "Thackeray", "Underhill",
    "Varga", "Wadsworth", "Whitlock", "Yardley", "Zielinski", "Ashdown", "Blakemore", "Coulthard",
    "Devlin", "Eastwood", "Froggatt", "Greenhalgh", "Holroyd", "Inskip", "Kettering", "Lumsden",
)
_TOWN_HEADS = (
    "Ash", "Bram", "Carrow", "Dun", "Elm", "Fen", "Gold", "Hart", "Kings", "Lark", "Mill",
    "Oak", "Pen", "Red", "Stone", "Thorn", "Wick", "Wren", "Hollin", "Sallow", "Tarn", "Brock",
)
_TOWN_TAILS = (
    "bury", "ford", "ham", "field", "mouth", "wick", "ton", "brook", "gate", "worth", "dale",
    "stead", "combe", "ley", "thorpe", "holme",
)
# (used in prose, used in organisation names)
_REGIONS = (
    ("North Vale", "North Vale"),
    ("the Tamsey Valley", "Tamsey Valley"),
    ("Eastmoor", "Eastmoor"),
    ("Lower Carrow", "Lower Carrow"),
    ("the Westland Coast", "Westland Coast"),
    ("Highbarrow", "Highbarrow"),
    ("the Ferren Downs", "Ferren Downs"),
    ("South Marland", "South Marland"),
)
_STREETS = (
    "Market Street", "Station Road", "Church Lane", "Mill Road", "Queen's Parade",
    "Victoria Street", "Bridge Street", "Chapel Row", "Orchard Way", "High Street",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
_STORM_NAMES = ("Aldra", "Berwin", "Corra", "Dellan", "Esker", "Fenna", "Garrow", "Hollis")
_TEAM_SUFFIXES = ("United", "Rovers", "Athletic", "Town", "Wanderers", "Albion")
_COMPANY_HEADS = (
    "Arden", "Belmont", "Corvane", "Halden", "Kestrel", "Marlow", "Norbridge", "Quayside",
    "Tillbrook", "Vantor", "Ellwood", "Greystone",
)
_COMPANY_TAILS = (
    "Foods", "Logistics", "Engineering", "Systems", "Textiles", "Packaging", "Energy",
    "Pharmaceuticals", "Components", "Brewing",
)
_SERVICES = (
    "library opening hours", "street cleaning", "youth services", "the community bus scheme",
    "park maintenance", "school crossing patrols", "public toilets", "grass cutting",
)
_ORDINALS = ("second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
# fmt: on

# --------------------------------------------------------------------------------------------
# Sentence templates shared by all topics
# --------------------------------------------------------------------------------------------

_GENERIC_BODY = (
    "[The details|The figures|The plans] were [published|set out|made public] by {org} on "
    "{weekday} [morning|afternoon|evening].",
    "[Around|Roughly|Some|More than] {count} {count_noun} [are expected to be|could be|will be] "
    "affected, according to {org}.",
    "{p1} said {thing} [would|could] [shape life in|have consequences for|change things in] "
    "{place} for [years|a long time|the rest of the decade].",
    "[Residents|People|Local groups] in {place} have been [asked|invited|encouraged] to "
    "[share their views|give their opinions|comment] before the end of {month}.",
    "The [sum|figure] of {amount} is [one of the largest|the largest] of its kind in {region} "
    "[for a decade|in recent years|for some time].",
    "[Critics|Opponents|Sceptics] pointed to {stat} as [evidence|proof|a sign] that "
    "[the approach|the strategy|the plan] was not working.",
    "Supporters [argue|insist|say] that {thing} [will|should] "
    "[bring stability|make a real difference|pay off] [within two years|in the long run|before "
    "long].",
    "A [report|review|briefing note] [prepared|drawn up|written] for {org} "
    "[warned|suggested|noted] that [costs|pressures|demands] had [risen|grown|increased] faster "
    "than [expected|forecast|planned].",
    "{p0_last} [is expected to|will] [answer questions|face questions|give evidence] "
    "[at a public meeting|before a scrutiny panel|at a hearing] [next week|later this month|in "
    "the coming days].",
    "[Several|A number of|Dozens of] [businesses|shop owners|traders] in {place} "
    "[said|told us|have said] they had [not been consulted|heard nothing|been left in the dark] "
    "[until recently|until this week|until the last minute].",
    "[It is|This is] [the first time|the second time in three years] that {org} has "
    "[faced|dealt with|confronted] [a situation|a challenge|a decision] of this "
    "[scale|size|kind].",
    "{p2}, a [resident|local parent|retired teacher] in {place}, [said|told us] "
    "[the worry|the main concern|the real fear] was [what comes next|the long-term cost|the lack "
    "of information].",
    "[Figures|Data|Numbers] [released|published|obtained] this [week|month] show {stat}.",
    "A [spokesperson|spokeswoman|spokesman] for {org} [said|insisted|stressed] that "
    "[the public|residents|everyone affected] would be kept [informed|up to date|in the picture].",
    "[Campaigners|Local activists|A residents' group] [have called|are calling|called] for "
    "[an independent review|a full inquiry|more transparency] [into|over|about] {thing}.",
    "[Officials|Managers|Officers] [admitted|conceded|acknowledged] that "
    "[mistakes|errors|misjudgements] had been made [in the past|earlier in the year|last winter] "
    "but [said|argued|insisted] lessons had been learned.",
    "[In|Across] {region}, [similar|comparable|related] [problems|pressures|questions] have "
    "[emerged|surfaced|been raised] in [at least three|several|a handful of] other "
    "[towns|districts|areas].",
    "The [next|final] [decision|step|stage] [is due|is expected|will come] [in {month}|before "
    "Christmas|early next year], [according to|said|confirmed] {org}.",
    "[Opposition members|Some councillors|Local representatives] [described {thing} as|called "
    "{thing}|labelled {thing}] [a missed opportunity|a step in the right direction|too little, "
    "too late].",
    "[A petition|An online petition|A campaign letter] [opposing|backing|about] {thing} has "
    "[gathered|collected|attracted] more than {signatures} [signatures|names].",
    "[Independent|Outside|Academic] [experts|analysts|observers] [said|noted|believe] the "
    "[numbers|figures|projections] [looked|appeared|seemed] [reasonable|optimistic|cautious] "
    "[given|considering|in light of] [recent events|the wider economy|rising costs].",
    "{p0_last} [acknowledged|accepted|admitted] that [not everyone|some people|many residents] "
    "would be [happy|pleased|satisfied] with {thing}.",
    "[Meanwhile|At the same time|Elsewhere], {org} [confirmed|announced|said] it would "
    "[publish|release|set out] [a fuller|a more detailed|an updated] [plan|account|assessment] "
    "[in the new year|within six weeks|by the spring].",
    "The [announcement|news|move] [comes|arrives] [after|weeks after|months after] "
    "[a difficult year|a turbulent period|a run of setbacks] for {org}.",
    "[Local|Regional] [newspapers|radio stations|broadcasters] [first reported|were first to "
    "report|broke the news of] [concerns|worries|questions] about {thing} [in the summer|last "
    "spring|earlier this year].",
    "[Visitors|Commuters|Families] [travelling|coming] to {place} [this weekend|over the coming "
    "days|next week] [are advised|are being told|have been urged] to [check|look at|keep an eye "
    "on] [the latest updates|official updates|the website of {org}].",
    "[There|Nevertheless, there] [were|have been] [warnings|signs|indications] [for some "
    "time|for months|since the spring] that {thing} [would|might|could] [prove|become|turn out "
    "to be] [controversial|difficult|costly].",
    "{p1_last} [added|went on to say|also said] that [the next few months|the coming weeks|the "
    "winter] would be [crucial|decisive|a real test].",
    "[About|Nearly|Almost] {poll_pct} of [those|people|respondents] [questioned|surveyed|asked] "
    "in a [recent|local|new] [poll|survey|consultation] [said|reported|indicated] they "
    "[supported|opposed|had doubts about] {thing}.",
    "[Records|Documents|Minutes] [show|reveal|suggest] that [the issue|the matter|the question] "
    "was [first raised|discussed|flagged] [more than a year ago|in a private session|at a "
    "committee meeting in the spring].",
    "The [chamber|room|hall] [was|fell] [packed|unusually full|quiet] [as|while|when] "
    "{p0_last} [spoke|set out the case|made the announcement].",
    "{org} [said|stated|confirmed] that [no|none of the] [final|firm|binding] "
    "[commitments|decisions|agreements] had yet been [made|signed|taken] on [the detail|the "
    "timing|the remaining issues].",
    "[For|To] [many|some|most] [people|families|households] in {place}, the "
    "[biggest|main|most pressing] [question|concern|worry] [is|remains] [what happens next|how "
    "long this will last|who will pay].",
    "A [public|open|drop-in] [meeting|session|event] [will be held|is planned|has been arranged] "
    "at {venue} on {weekday2} [evening|afternoon].",
    "[According to|Based on] [estimates|calculations|projections] [by|from] {org}, [the "
    "total|the overall bill|the final cost] [could|may|might] [reach|exceed|top] {amount}.",
    "[Neighbouring|Nearby] {place2} [took|adopted|chose] a [different|more cautious|bolder] "
    "[approach|line|course] [last year|in the past|two years ago].",
    "It [remains|is still] [unclear|uncertain|not known] [whether|if] {thing} "
    "[will|can] [go ahead|proceed|be delivered] [as planned|on time|in full].",
    "{p0} has been {p0_role} since {since_year}.",
    "[Before|Prior to] [taking up|accepting] the [post|role|job], {p0_last} "
    "[worked|spent a decade|spent several years] in [the private sector|local government|the "
    "voluntary sector].",
    "[Questions|Concerns|Doubts] [have also been raised|were also raised|also remain] "
    "[about|over] [the timing|the cost|the consultation process].",
    "A [full|complete|detailed] [breakdown|report|list] [is available|can be found|has been "
    "published] on the [website|public pages|noticeboard] of {org}.",
    "[Asked|Pressed] [whether|if] [further|more] [changes|announcements|measures] were "
    "[likely|possible|planned], {p0_last} [declined|refused] to [rule anything out|give "
    "details|speculate].",
    "[Trade|Business|Community] [groups|leaders|organisations] in {region} "
    "[welcomed|cautiously welcomed|questioned] the [news|announcement|decision].",
    "[Last year|Twelve months ago|In the previous year], [a similar|a comparable|the "
    "equivalent] [figure|total|number] [stood at|was|reached] {prev_amount}.",
    "[Observers|Regular watchers|Long-time observers] of {org} [said|noted] that [the tone|the "
    "mood|the atmosphere] had [changed|shifted|hardened] [noticeably|markedly|in recent months].",
    "{p1} [warned|cautioned|said] that {count} {count_noun} [was|represented|amounted to] "
    "[only|just] [part of|a fraction of|the start of] [the picture|the story|the problem].",
    "A [further|fresh|final] [update|statement|briefing] [is expected|is due|will be given] "
    "[on {weekday2}|later this week|by the end of the month].",
    "[Data|Figures] [compiled|gathered|collected] [by|for] [this newspaper|our reporters] "
    "[suggest|indicate|show] [the problem|the issue|the trend] [is|may be] "
    "[wider|broader|more widespread] than [officially acknowledged|first thought|admitted].",
    "[Written|Formal] [objections|complaints|representations] [can|may] be [sent|submitted|"
    "lodged] to {org} [until|up to] the end of {month}.",
    "[Some|A few|Several] [long-standing|veteran|senior] [figures|voices] in {place} "
    "[privately|quietly] [admit|concede|accept] that [change|some change|reform] was "
    "[overdue|inevitable|needed].",
    "[In|During] [an hour-long|a lengthy|a brief] [presentation|briefing|session], {p0_last} "
    "[walked through|set out|explained] [the numbers|the reasoning|the timetable] [line by "
    "line|in detail|step by step].",
    "[Not everyone|Few people] [present|in the room|at the meeting] [seemed|appeared] "
    "[convinced|persuaded|reassured] by the [arguments|case|explanation].",
    "[Younger|Older|Working] [residents|families|people] [are likely to|may|could] "
    "[feel|notice|see] the [effects|impact|changes] [first|most|soonest], [according to|said] "
    "{p1_last}.",
    "[An earlier|The original|The first] [version|draft] of the [plan|proposals] [was|had been] "
    "[withdrawn|shelved|sent back] [after|following] [objections|criticism|a backlash] [in the "
    "spring|in the summer|last autumn].",
    "{org} [employs|has] [specialist|dedicated] [staff|officers|advisers] to "
    "[manage|oversee|handle] [the process|the work|the programme].",
    "A [local|nearby] [shopkeeper|cafe owner|publican] [said|reported|complained that] "
    "[trade|business|footfall] had [dropped|fallen|slowed] [noticeably|sharply] [in recent "
    "weeks|since the summer].",
    "[Most|Many|Several] of the [questions|points|issues] [raised|put forward] [at the "
    "meeting|by the public|in the consultation] [concerned|were about|related to] "
    "[money|timing|communication].",
    "[Until|Before] [now|this week|recently], [little|very little] had been [said|made "
    "public|published] about [the detail|the cost|the timetable].",
    "[Volunteers|Community groups|Charities] in {place} [say|said|warned] [demand|need] for "
    "their [help|services|support] had [grown|increased|doubled] [this year|since the "
    "summer|in recent months].",
    "[An|The last] [audit|inspection|assessment] [rated|found|judged] {org} [to be] "
    "[adequate|in need of improvement|broadly sound].",
    "A [decision|vote|review] on [the final details|the remaining points|further changes] "
    "[has been|was] [postponed|delayed|put off] until {month}.",
    "{p2_last} [said|added|explained] that [friends|neighbours|family members] had "
    "[felt|been] [left out|ignored|kept in the dark] during the [process|consultation|planning].",
    "[Maps|Diagrams|Drawings] [showing|setting out] the [changes|proposals|plans] [are|have "
    "been] [on display|available|put up] at {venue}.",
    "[Similar|Comparable] [schemes|plans|measures] [elsewhere|in other parts of the "
    "country|in larger towns] have had [mixed results|some success|a rocky start].",
    "The [last|previous] [time|occasion] a [change|decision|plan] [of this kind|like this] was "
    "[made|put forward|proposed] in {place} was [in 2009|more than ten years ago|before the "
    "last election].",
    "[Those|People] who [want|wish|would like] to [comment|respond|take part] [can do so|may do "
    "so] [online|in writing|at the town hall].",
    "{org} [says|said|insists] it [considered|looked at|weighed up] [several|three|a number "
    "of] [alternatives|other options|different approaches] [before|prior to] [settling "
    "on|choosing|agreeing] {thing}.",
    "[Local|Ward] [councillor|representative] {cllr} [said|warned|argued] that "
    "[smaller|outlying|rural] [villages|communities|areas] [risked|were at risk of] being "
    "[forgotten|overlooked|left behind].",
    "[Online|Social media] [reaction|comment|discussion] [was|has been] [divided|mixed|largely "
    "critical], [with|and] [some|many] [users|people|residents] [questioning|asking "
    "about|demanding to know] [the cost|the timing|the reasoning].",
    "[Figures|Totals|Sums] [quoted|cited|given] [at the meeting|in the report|by officials] "
    "[have not been|were not] [independently verified|checked independently|audited].",
    "The [row|debate|argument] [is likely|looks set|is expected] to [continue|run on|rumble "
    "on] [into the new year|for months|well into next year].",
    "{place} has a population of [about|around|roughly] {population}, [according to|based on] "
    "the [last|most recent] [census|official estimate].",
    "This [newspaper|paper] [has asked|asked|contacted] {org} [for|to provide] [a full "
    "breakdown|more detail|a copy of the report] [but|and] [is awaiting|has yet to receive|had "
    "not received] a [reply|response].",
    "[Parents|Families|Carers] [with young children|of school-age children|on low incomes] "
    "[are|will be] [among|some of] [those|the people] [most|hardest] [affected|hit].",
)

_GENERIC_QUOTES = (
    "I have lived in {place} [all my life|for thirty years] and I [have never seen|cannot "
    "remember] anything quite like this.",
    "We will keep listening to people, and we will keep explaining [what we are doing|our "
    "decisions] and why we are doing it.",
    "[People|Residents] [are not stupid|are not fools], they can see [exactly|perfectly well] "
    "what is happening and they [want|deserve] straight answers.",
    "[There is|There's] [no|not a] [magic wand|quick fix] here, but we [are|remain] "
    "[determined|committed] to [getting this right|doing the right thing].",
    "This has been [a long time coming|years in the making], and I am [proud|glad] that we "
    "have finally [got here|reached this point].",
    "I [understand|share] the [frustration|anger] people feel, and I [would|will] say to them: "
    "[judge us on results|hold us to account].",
    "[Nobody|No one] [told us|asked us] anything until it was [too late|already decided], and "
    "that is [not good enough|simply wrong].",
    "We have [heard|had] [plenty of|a lot of] [promises|warm words] before, so [forgive|excuse] "
    "me if I wait to see [what actually happens|the results].",
    "The [next|coming] [few months|six months] will [tell us|show] [whether|if] [this|the plan] "
    "[works|is working], and we will be [honest|open] about it either way.",
    "[Every|Each] [family|household] in {place} [will|is going to] [feel|notice] this [in some "
    "way|one way or another], and [we|I] [cannot|will not] pretend otherwise.",
    "[My|Our] [phone|inbox] has not stopped [ringing|filling up] all week, and [most|nearly "
    "all] of the [calls|messages] [say|ask] the same thing.",
    "[It is|It's] [easy|simple] to [criticise|complain] from the sidelines, but [somebody|"
    "someone] [has to|must] [make|take] [these decisions|the difficult calls].",
)

_QUOTE_FRAMES = (
    '"{qc}" said {sp}, the {sp_role}.',
    '{sp}, the {sp_role}, said: "{q}"',
    '"{qc}" {sp_last} [told reporters|told this newspaper|told the meeting].',
    'Speaking on {weekday}, {sp_last} said: "{q}"',
    'In a [statement|written statement|short statement], {sp} said: "{q}"',
    '{sp_last} [put it bluntly|was clear|did not hold back]: "{q}"',
    'Asked about {thing}, {sp_last} [replied|answered|said]: "{q}"',
    'The {sp_role}, {sp}, [added|said|argued]: "{q}"',
    '"{qc}" [said|added|insisted] {sp_last}.',
)

_GENERIC_FOLLOW_LEDES = (
    "[A week|Days|Ten days] after {thing} [was announced|was first reported|made headlines], "
    "{org} [is facing|has come under|is now under] [fresh|renewed|growing] "
    "[questions|pressure|criticism].",
    "[Fresh|New|Further] [details|information|figures] [have emerged|have come to light|have "
    "been published] about {thing} in {place}.",
    "{org} has [responded|replied] to [criticism|concerns|complaints] [over|about] {thing}, "
    "[saying|insisting|arguing] that [its figures|the plans|the numbers] [stand up|are "
    "sound|remain correct].",
)
_GENERIC_FOLLOW_HEADLINES = (
    "[Questions|Pressure|Criticism] [mount|grows|builds] over {place} {thing_word}",
    "[New details emerge|What we now know|The latest] [about|on] the {place} {thing_word}",
    "{org_cap} [defends|stands by|explains] {thing_word} [after|amid] "
    "[criticism|backlash|questions]",
)

# Copycat voice: the sites that reuse articles pad them with a little text of their own.
_FILLER = (
    "[Here is|This is] [what we know so far|everything you need to know] about [this developing "
    "story|the latest news|this story].",
    "[Stay with us|Keep checking back|Bookmark this page] for [more updates|the latest "
    "updates|further news] [as the story develops|throughout the day|as we get them].",
    "[Readers|Our readers|Many of you] have been [asking|writing to us|getting in touch] about "
    "this [all week|for days|since the news broke].",
    "[Do not|Don't] forget to [share this post|tell your friends|leave a comment below] "
    "[if you found it useful|with your thoughts|and let us know what you think].",
    "[We|Our team] [will|are going to] [keep this page updated|update this article|follow this "
    "closely] [when|as soon as] [more information|new details] [becomes|become] available.",
    "[The story|This news|The report] has been [widely shared|trending|talked about] on "
    "[social media|forums|group chats] [since|after] it [first appeared|broke|came out].",
    "[Scroll down|Read on|Keep reading] for [the key points|the details|our full round-up].",
    "[Have your say|Tell us what you think|What do you make of it]? [Comments|Replies] are "
    "[open|welcome] [below|at the bottom of the page].",
)


# --------------------------------------------------------------------------------------------
# Topics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Topic:
    """Templates and fact generator for one kind of story."""

    name: str
    section: str
    roles: tuple[str, str, str]
    headlines: tuple[str, ...]
    ledes: tuple[str, ...]
    body: tuple[str, ...]
    quotes: tuple[str, ...]
    follow_ledes: tuple[str, ...]
    facts: Callable[[random.Random, str, str, str], dict[str, str]]


def _money(rng: random.Random, low: float, high: float) -> str:
    value = rng.uniform(low, high)
    return f"£{value:.1f} million"


def _pct(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.1f} per cent"


def _num(rng: random.Random, low: int, high: int, step: int = 1) -> str:
    value = rng.randrange(low, high, step)
    return f"{value:,}"


def _budget_facts(rng: random.Random, place: str, place2: str, region: str) -> dict[str, str]:
    kind = rng.choice(("Borough", "District", "City"))
    pct = _pct(rng, 1.9, 4.99)
    service = rng.choice(_SERVICES)
    votes_for = rng.randint(26, 38)
    return {
        "org": f"{place} {kind} Council",
        "thing": "the budget",
        "thing_word": "budget",
        "amount": _money(rng, 80, 420),
        "gap": _money(rng, 2, 15),
        "reserves": _money(rng, 8, 30),
        "pct": pct,
        "stat": f"a {pct} rise in council tax",
        "count": _num(rng, 20, 160),
        "count_noun": "council posts",
        "service": service,
        "service_cap": service[0].upper() + service[1:],
        "votes_for": str(votes_for),
        "votes_against": str(rng.randint(8, votes_for - 6)),
        "care_share": f"{rng.randint(38, 61)} per cent",
    }


def _transport_facts(rng: random.Random, place: str, place2: str, region: str) -> dict[str, str]:
    org = rng.choice((f"{region} Rail", f"{place} Transport Authority", f"{region} Buses"))
    pct = _pct(rng, 2.5, 9.5)
    return {
        "org": org,
        "thing": "the timetable changes",
        "thing_word": "timetable",
        "route": f"the {place} to {place2} line",
        "amount": _money(rng, 10, 150),
        "pct": pct,
        "stat": f"a {pct} rise in fares",
        "count": _num(rng, 2000, 40000, 50),
        "count_noun": "passengers a day",
        "minutes": str(rng.randint(4, 25)),
        "weeks": str(rng.randint(3, 16)),
        "stations": str(rng.randint(3, 14)),
        "trains": str(rng.randint(4, 30)),
    }


def _weather_facts(rng: random.Random, place: str, place2: str, region: str) -> dict[str, str]:
    storm = "Storm " + rng.choice(_STORM_NAMES)
    pct = f"{rng.randint(30, 160)} per cent"
    return {
        "org": f"the {region} Weather Service",
        "thing": "the flood recovery plan",
        "thing_word": "flood recovery plan",
        "storm": storm,
        "amount": _money(rng, 0.5, 9),
        "pct": pct,
        "stat": f"rainfall {pct} above the monthly average",
        "count": _num(rng, 200, 6000, 10),
        "count_noun": "homes",
        "rain_mm": str(rng.randint(40, 140)),
        "wind_mph": str(rng.randint(55, 95)),
        "roads": str(rng.randint(4, 30)),
        "warning": rng.choice(("amber", "red", "yellow")),
        "hours": str(rng.randint(12, 48)),
    }


def _sport_facts(rng: random.Random, place: str, place2: str, region: str) -> dict[str, str]:
    suffixes = rng.sample(_TEAM_SUFFIXES, 2)
    team_a = f"{place} {suffixes[0]}"
    team_b = f"{place2} {suffixes[1]}"
    goals_b = rng.randint(0, 2)
    goals_a = goals_b + rng.randint(1, 3)
    pct = _pct(rng, 3, 20)
    return {
        "org": team_a,
        "team_a": team_a,
        "team_b": team_b,
        "thing": "the club's redevelopment plans",
        "thing_word": "redevelopment plans",
        "score": f"{goals_a}-{goals_b}",
        "scorer": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
        "minute": str(rng.randint(8, 89)),
        "amount": _money(rng, 0.5, 6),
        "pct": pct,
        "stat": f"a {pct} rise in season ticket sales",
        "count": _num(rng, 3000, 12000, 10),
        "count_noun": "season ticket holders",
        "crowd": _num(rng, 4000, 30000, 10),
        "position": rng.choice(_ORDINALS),
        "games": str(rng.randint(3, 11)),
    }


def _business_facts(rng: random.Random, place: str, place2: str, region: str) -> dict[str, str]:
    company = f"{rng.choice(_COMPANY_HEADS)} {rng.choice(_COMPANY_TAILS)}"
    pct = _pct(rng, 2, 18)
    return {
        "org": company,
        "company": company,
        "thing": "the expansion",
        "thing_word": "expansion",
        "site": rng.choice((f"the {place2} Business Park", f"its {place} site")),
        "amount": _money(rng, 5, 120),
        "pct": pct,
        "stat": f"a {pct} rise in annual revenue",
        "count": _num(rng, 40, 600),
        "count_noun": "jobs",
        "year_open": str(rng.randint(2027, 2029)),
        "staff": _num(rng, 300, 2500, 10),
    }


def _health_facts(rng: random.Random, place: str, place2: str, region: str) -> dict[str, str]:
    hospital = rng.choice((f"{place} General Hospital", f"{place} Royal Infirmary"))
    pct = _pct(rng, 3, 15)
    return {
        "org": f"the {region} Health Board",
        "hospital": hospital,
        "thing": "the new care plan",
        "thing_word": "care plan",
        "amount": _money(rng, 2, 40),
        "pct": pct,
        "stat": f"a {pct} increase in emergency admissions",
        "count": _num(rng, 500, 9000, 10),
        "count_noun": "patients",
        "weeks": str(rng.randint(8, 52)),
        "beds": str(rng.randint(12, 80)),
        "clinics": str(rng.randint(2, 9)),
    }


_TOPIC_LIST: tuple[_Topic, ...] = (
    _Topic(
        name="budget",
        section="Politics",
        roles=("council leader", "cabinet member for finance", "leader of the opposition group"),
        headlines=(
            "{place} council [approves|agrees|backs] {pct} council tax rise [after late-night "
            "vote|amid heated debate|following long debate]",
            "[Council|{place} council] [faces|warns of] {gap} [budget gap|shortfall|funding gap]",
            "{service_cap} [face cuts|among cuts] as {place} [sets|agrees] [budget|spending plans]",
            "Up to {count} council jobs [at risk|under threat|could go] in {place} "
            "[budget|spending] plan",
            "{place} councillors [split|divided] over {amount} [budget|spending plan]",
        ),
        ledes=(
            "{org} has [approved|agreed|voted through] a {amount} budget [that includes|which "
            "includes] a {pct} rise in council tax [and|alongside] cuts to {service}.",
            "[Councillors|Members] in {place} have [backed|approved|signed off] [spending "
            "plans|a budget] [worth|totalling] {amount} [despite|amid] [warnings|concerns|fears] "
            "over a {gap} shortfall.",
            "[Council tax|Bills] in {place} [will|are set to] [rise|go up] by {pct} [from "
            "April|next year] [after|following] [councillors|members of {org}] [voted|agreed] to "
            "close a {gap} [gap|shortfall].",
        ),
        body=(
            "The budget [sets|fixes|puts] council tax [up by|at an increase of] {pct} [from "
            "April|for the coming year|next year].",
            "[Councillors|Members] [voted|approved the plans] by {votes_for} votes to "
            "{votes_against} [after|following] a [debate|session] [lasting|of] [more than three "
            "hours|nearly four hours|most of the evening].",
            "[Cuts|Reductions|Savings] to {service} [account for|make up|represent] [a large "
            "part|a significant share|much] of the {gap} [gap|shortfall|savings target].",
            "[Around|About|Up to] {count} council posts [could|may|will] [go|be lost], "
            "[although|though|but] [officials|managers] hope [most|many] [will|can] be "
            "[handled|dealt with] through [vacancies|voluntary redundancy|retirements].",
            "The council [has|holds] reserves of [roughly|about|some] {reserves}, [which|and "
            "these] [cannot|should not] be [used|spent|drawn on] [to fill|to cover] [the "
            "gap|day-to-day spending|recurring costs].",
            "[Spending on|The cost of] adult social care [now|currently] [takes up|accounts "
            "for|absorbs] [almost|nearly|close to] {care_share} of the [total|overall|entire] "
            "budget.",
            "[Opposition|Minority] [councillors|groups] [put forward|tabled|proposed] an "
            "[amendment|alternative budget] [that would have protected|to protect] {service}, "
            "[but it was|which was] [defeated|rejected|voted down].",
            "[Under|As part of] the [plans|proposals|settlement], [charges|fees] for "
            "[parking|garden waste collection|sports pitches] [will|are set to] [rise|increase|go "
            "up] [from|in] April.",
            "[Grants|Funding] from national government [have|has] [fallen|dropped|shrunk] [in "
            "real terms|sharply|steadily] [over|during] the [past decade|last ten years|last few "
            "years].",
            "The [treasurer|finance officer|chief finance officer] [told|warned|reminded] "
            "[members|councillors|the meeting] that the [council|authority] [must|had to|was "
            "legally required to] [set|agree|approve] a balanced budget.",
        ),
        quotes=(
            "We have had to make [difficult|hard|painful] choices, but the services people rely "
            "on most [will be|are being] protected.",
            "This budget [asks|expects] residents to pay more and get less, and I cannot "
            "[support|vote for] it.",
            "Nobody [went into|comes into] local politics to cut {service}, but the money simply "
            "is not there this year.",
            "The gap we face [is|remains] {gap}, and it will not [close|disappear] on its own "
            "however much we might wish it would.",
            "[Our reserves|The reserves] are a safety net, not a way to [pay the bills|fund "
            "everyday services] year after year.",
            "I want to [thank|pay tribute to] the staff who have worked [through the night|for "
            "months] to make these numbers add up.",
            "[Every|Each] [pound|penny] we [spend|save] has been [argued over|fought over], "
            "and I [think|believe] [residents|taxpayers] can see that in [this budget|the "
            "detail].",
        ),
        follow_ledes=(
            "[Councillors|Members] in {place} [have been told|were told] that the {gap} "
            "[gap|shortfall] [may|could] [grow|widen] [again|further] [next year|by the "
            "spring].",
            "[Unions|Staff representatives] at {org} have [asked|called] for [talks|a "
            "meeting|urgent talks] over the {count} posts [at risk|under threat].",
        ),
        facts=_budget_facts,
    ),
    _Topic(
        name="transport",
        section="Transport",
        roles=("transport director", "chair of the passengers' association", "operations manager"),
        headlines=(
            "[Commuters|Passengers] [face|warned of] {weeks} weeks of disruption on {route}",
            "{org} [unveils|announces|confirms] {amount} [upgrade|overhaul] for {route}",
            "New {place} timetable [cuts|shaves] {minutes} minutes off [journeys|trips]",
            "Fares [to rise|rising|set to climb] by {pct} [as|while] {org} [changes|rewrites] "
            "timetable",
        ),
        ledes=(
            "[Passengers|Commuters] on {route} [face|will face] {weeks} weeks of [disruption|"
            "changes|replacement buses] [after|as] {org} [confirmed|announced] a {amount} "
            "[upgrade|programme of works].",
            "{org} has [unveiled|announced|published] a new timetable [for|covering] {route} "
            "[which|that] it [says|claims] will [cut|shave] {minutes} minutes off [peak|"
            "rush-hour] journeys.",
            "[Journeys|Services] between {place} and {place2} [will|are set to] change [from "
            "next month|in the new year] under [plans|proposals] [confirmed|set out] by {org}.",
        ),
        body=(
            "[About|Roughly|Some] {count} [passengers|people] use {route} [on an average "
            "weekday|every weekday|each day], [according to|based on] [figures|counts] from "
            "{org}.",
            "[Replacement buses|Rail replacement coaches] [will|are set to] [run|operate] "
            "[between|linking] {place} and {place2} [while|during the period] [the work|the "
            "engineering work] [is|goes] [under way|on].",
            "[Work|Engineering work] on [the signals|the track|the bridges] at {stations} "
            "stations [is expected|is due|is scheduled] to [begin|start] [in the new year|next "
            "spring|after the holidays].",
            "[Under|In] the new timetable, {trains} [extra|additional] [trains|services] "
            "[will|are due to] [run|operate] [each week|every week|at weekends].",
            "[Cyclists|Walkers|Drivers] [have been|are being] [warned|advised|told] that "
            "[roads|crossings|car parks] near [the stations|the line] [may|could] [also|as well] "
            "be [closed|affected].",
            "[Punctuality|Reliability] on {route} has [been|become] [a sore point|a source of "
            "complaints|a long-running issue] [for years|for some time|since the pandemic].",
            "The [operator|company|authority] [said|claims|argues] the {amount} [investment|"
            "upgrade] [would|will] [make|keep] the line [reliable|fit for purpose|safe] [for "
            "decades|for a generation].",
            "[Season ticket|Monthly pass|Weekly ticket] holders [will|may] be [offered|entitled "
            "to] [a partial refund|compensation|a discount] [during|for] the [closures|works].",
            "[Station|Platform] [staff|teams] [will|are going to] be [on hand|available] to "
            "[help|guide|assist] [passengers|travellers] [through|during] the [changes|first "
            "weeks].",
        ),
        quotes=(
            "We know [these works|these changes] will be [frustrating|inconvenient], but the "
            "line [simply|really] cannot carry on as it is.",
            "Passengers have been [promised|told about] improvements [for years|before], and "
            "[this time|now] they [deserve|need] to see them delivered.",
            "Shaving {minutes} minutes off a journey [sounds|may sound] small, but over a "
            "working year it adds up to [days|whole days] of people's lives.",
            "[Nobody|No one] has [asked|consulted] the people who [use|depend on] these "
            "trains every day, and that is [the real scandal|what angers me].",
            "We will [run|put on] [extra|more] buses and keep [stations|ticket offices] open "
            "[so that|to make sure] nobody is left stranded.",
            "[Reliable|Decent] [trains|buses] are not a [luxury|nice extra], they are how "
            "people in {place} get to work, to school and to hospital.",
        ),
        follow_ledes=(
            "The first [week|days] of the new [timetable|arrangements] on {route} [has|have] "
            "[been marked by|brought] [delays|complaints|confusion], [passengers|commuters] "
            "[say|report].",
            "{org} has [apologised|said sorry] [after|following] [overcrowding|delays] on "
            "{route} [during|in] the first [week|days] of [works|the changes].",
        ),
        facts=_transport_facts,
    ),
    _Topic(
        name="weather",
        section="Weather",
        roles=("duty forecaster", "emergency planning officer", "fire service area manager"),
        headlines=(
            "{storm} [brings|leaves] flooding [to|across] {place} [as|while] {count} homes "
            "[lose power|are cut off]",
            "{warning_cap} [weather] warning [issued|in force] as {storm} [approaches|nears] "
            "{region}",
            "[Clean-up|Recovery] [begins|under way] in {place} after {storm}",
            "{storm}: {wind_mph}mph gusts [close|shut] {roads} roads in {region}",
        ),
        ledes=(
            "{storm} [has brought|brought] [flooding|heavy rain and flooding] to {place}, "
            "[leaving|with] {count} homes [without power|cut off] [and|as] {roads} roads "
            "[closed|shut].",
            "An {warning} warning [is|remains] in [force|place] across {region} as {storm} "
            "[brings|delivers] gusts of up to {wind_mph}mph.",
            "[Residents|Householders] in {place} [have begun|are starting] [the clean-up|to "
            "clear up] after {storm} [dumped|dropped] {rain_mm}mm of rain in {hours} hours.",
        ),
        body=(
            "[Gusts|Winds] of up to {wind_mph}mph were [recorded|measured] [on the coast|on high "
            "ground|near {place2}] [overnight|on {weekday}].",
            "[Some|About|Around] {rain_mm}mm of rain [fell|was recorded] in {hours} hours, "
            "[more than|over|close to] [a month's worth|the usual monthly total].",
            "[Engineers|Repair crews|Power company teams] [worked|were working] [through the "
            "night|around the clock] to [restore|reconnect] [power|supplies] to [homes|"
            "properties].",
            "[At least|In all|A total of] {roads} roads [were|remain] [closed|shut|blocked] "
            "[because of|due to] [fallen trees|flooding|debris].",
            "[Rest centres|Emergency shelters] [were|have been] [opened|set up] at [the leisure "
            "centre|two schools|the community hall] [for|to help] [people|families] [forced|"
            "unable] to [leave|stay in] their homes.",
            "The {warning} warning [covers|runs until] [midnight on {weekday2}|the whole "
            "weekend|{hours} hours from now].",
            "[Insurers|Loss adjusters] [estimate|believe] the [damage|cost of the damage] "
            "[could|may] [reach|run to] {amount}.",
            "[Schools|Several schools|A number of schools] in {place} [were|have been] [closed|"
            "shut] [as a precaution|for safety reasons] [on {weekday}|for the day].",
            "[Flood defences|Barriers|Sandbags] [held|largely held|were tested] [in the town "
            "centre|along the river|near the harbour], [officials|officers] said.",
        ),
        quotes=(
            "This is [the worst|the most severe] [storm|weather] we have seen [here|in this "
            "area] for [a decade|many years], and it is not over yet.",
            "Please [do not|don't] [drive through|walk through] flood water, [it|because it] "
            "[is|can be] [far deeper|deeper and faster] than it looks.",
            "Our [crews|teams] have been [out|working] [all night|since the early hours] and "
            "[they|we] will [keep going|stay out] until everyone is safe.",
            "The ground was already [soaked|saturated], so even a [modest|small] amount of rain "
            "[was always going to|could easily] cause [problems|flooding].",
            "We [would rather|prefer to] [over-prepare|be too cautious] than be [caught|left] "
            "[out|short] when people's homes are at risk.",
            "[Some|Several] [families|households] [lost|have lost] [almost|nearly] "
            "everything [downstairs|on the ground floor], and they will need [help|support] "
            "for [months|a long time].",
        ),
        follow_ledes=(
            "[Families|Households] in {place} [are still|remain] [out of|unable to return to] "
            "their homes [a week|days] after {storm}, [officials|the council] [say|confirmed].",
            "The [bill|cost] [for|of] {storm} [is rising|has risen], with [insurers|officials] "
            "now [putting|estimating] the [damage|total] [above|at more than] {amount}.",
        ),
        facts=_weather_facts,
    ),
    _Topic(
        name="sport",
        section="Sport",
        roles=("head coach", "club captain", "chair of the supporters' trust"),
        headlines=(
            "{team_a} [beat|see off|overcome] {team_b} {score} [to climb|and move up] to "
            "{position}",
            "{scorer} [double|strike|goal] [helps|fires] {team_a} [past|to victory over] {team_b}",
            "{team_a} [extend|stretch] unbeaten run to {games} [games|matches] with {score} win",
        ),
        ledes=(
            "{team_a} [beat|saw off] {team_b} {score} [in front of|before] a crowd of {crowd} "
            "[to climb|and moved up] to {position} in the table.",
            "A [goal|strike|finish] from {scorer} in the {minute}th minute [helped|set up] "
            "{team_a} [for|on the way to] a {score} win over {team_b} on {weekday}.",
            "{team_a} [made it|stretched their run to] {games} [games|matches] without defeat "
            "[with|after] a {score} victory against {team_b}.",
        ),
        body=(
            "{scorer} [opened the scoring|broke the deadlock|found the net] in the {minute}th "
            "minute [with|from] a [low shot|header|curling effort] [from the edge of the "
            "area|at the far post|after a corner].",
            "The [crowd|attendance] of {crowd} was [the biggest|one of the biggest|the "
            "largest] [at the ground|of the season|in years].",
            "{team_b} [had chances|pressed|pushed forward] [late on|in the second half|before "
            "the break] but [could not|failed to] [find a way through|beat the goalkeeper|"
            "convert them].",
            "The [win|result|victory] [lifts|moves|takes] {team_a} [up|] to {position} "
            "[place|position] in the [table|league].",
            "[Work on|Plans for] a {amount} [redevelopment|upgrade] of the [main stand|ground|"
            "training pitches] [is due to|is expected to|should] [start|begin] [next summer|at the "
            "end of the season].",
            "The [visitors|away side] [lost|were without] [two|three|several] [regular "
            "starters|first-team players] [to injury|through suspension] [before the game|in the "
            "week].",
            "[Ticket|Season ticket] [sales|numbers] [have|are] [risen|up] [sharply|strongly|"
            "noticeably] [this season|since the summer], the club [said|says].",
            "[The|Their] [next|following] [game|fixture|match] is [away|at home] [on "
            "{weekday2}|next weekend].",
        ),
        quotes=(
            "[The lads|The players|The squad] [gave everything|were outstanding] today and the "
            "[supporters|fans] [carried us|were with us] [for the full ninety minutes|from the "
            "first whistle].",
            "We [did not|didn't] play well [in the first half|for long spells], but [good "
            "teams|the best sides] find a way to win when they are not at their best.",
            "[It was|That was] [a special|an emotional] day for [everyone|all of us] at the "
            "club, and we will [enjoy it|savour it] before [going again|getting back to work].",
            "[Nobody|No one] [here|at the club] is getting carried away, there is a long way to "
            "go [this season|before May].",
            "The [fans|supporters] have [waited|been patient] [a long time|for years] for a "
            "[team|side] like this, and they [deserve|have earned] [every minute|every bit] of "
            "it.",
            "[We|The boys] [knew|felt] [before kick-off|in the dressing room] that this was "
            "[a big game|a game we had to win], and [they|we] [responded|delivered] "
            "[brilliantly|in style].",
        ),
        follow_ledes=(
            "{team_a} [have|has] [confirmed|announced] [that|] {scorer} [will|is set to] "
            "[sign a new contract|stay at the club] [after|following] [the win|last week's win] "
            "over {team_b}.",
            "[Fans|Supporters] of {team_a} [are|have been] [queuing|scrambling] for [tickets|"
            "seats] [after|since] [the win|the victory] over {team_b} [lifted|took] the club "
            "to {position}.",
        ),
        facts=_sport_facts,
    ),
    _Topic(
        name="business",
        section="Business",
        roles=(
            "chief executive",
            "regional union organiser",
            "head of the local chamber of commerce",
        ),
        headlines=(
            "{company} to [create|bring] {count} jobs [with|in] {amount} [expansion|investment]",
            "{amount} [boost|investment] [for|in] {place} as {company} [expands|grows]",
            "{company} [confirms|announces] {place} expansion [after|as] revenue [rises|grows] "
            "{pct}",
        ),
        ledes=(
            "{company} [has announced|has confirmed|is to make] a {amount} [expansion|"
            "investment] [in|at] {site} [that|which] [will|is expected to] [create|bring] "
            "{count} jobs.",
            "[Up to|Around|About] {count} [new|] jobs [are|will be] [coming|heading] to {place} "
            "[after|as] {company} [confirmed|announced] [plans|a plan] [for|to] [a {amount} "
            "expansion|invest {amount}].",
        ),
        body=(
            "The [company|firm|business] [already|currently] [employs|has] {staff} [people|"
            "staff|workers] [across|in] {region}.",
            "[Building|Construction] work [is due to|should|is expected to] [start|begin] [in "
            "the spring|early next year] [with|and] the [new|expanded] [site|plant|facility] "
            "[opening|due to open] in {year_open}.",
            "[Revenue|Turnover|Sales] [rose|grew|increased] by {pct} [last year|in the most "
            "recent financial year], [according to|based on] [its accounts|company filings|"
            "figures released by the firm].",
            "[Planning|Local planning] [permission|approval] [was|has been] [granted|given] "
            "[earlier this year|in the summer|last month] [after|following] [objections|"
            "concerns] [about|over] [traffic|noise|lorry movements] were [addressed|resolved].",
            "[Many of the|Most of the|Some of the] [new|] [roles|jobs|posts] [will be|are] in "
            "[engineering|production|logistics], [with|and] [apprenticeships|training places] "
            "[also|] [on offer|planned].",
            "The [company|firm] [was founded|began|started out] in {place} [more than forty "
            "years ago|in the 1980s|three decades ago] [as|with] a [small|family] "
            "[workshop|business].",
            "[Suppliers|Local firms|Smaller businesses] in {region} [could|may|are expected to] "
            "[benefit|win contracts|gain work] from the [expansion|investment].",
            "[Unions|Union officials] [said|say] they [want|would like] [assurances|guarantees] "
            "[on|about] [pay|working conditions|contracts] [for|at] the new [site|plant].",
        ),
        quotes=(
            "{place} has been [good to us|our home] for [decades|a long time], and we want to "
            "[grow|keep growing] here rather than [anywhere else|somewhere else].",
            "These are [good, skilled jobs|skilled, well-paid jobs] of the [kind|sort] this "
            "[area|town] has [been crying out for|needed] for years.",
            "We [welcome|are pleased about] the investment, but [we will|we'll] be [watching|"
            "checking] closely to make sure [the jobs|these jobs] are [secure|properly paid].",
            "[Demand|Orders] [has|have] [never been|not been this] [stronger|strong], and we "
            "simply [need|ran out of] more space to [meet it|keep up].",
            "[Young people|School leavers] in {place} [should not|shouldn't] have to "
            "[move away|leave town] to [find|get] [a good job|a proper career].",
        ),
        follow_ledes=(
            "{company} has [opened|started] [recruitment|hiring] for the first [of the|] "
            "{count} [jobs|roles] [promised|announced] [as part of|in] its {amount} "
            "[expansion|investment].",
            "[Questions|Concerns] have been [raised|asked] about [traffic|lorry movements] "
            "[around|near] {site} [following|after] the [announcement|news] of {thing}.",
        ),
        facts=_business_facts,
    ),
    _Topic(
        name="health",
        section="Health",
        roles=("medical director", "chief nurse", "chair of the patients' forum"),
        headlines=(
            "{amount} plan to [cut|tackle|reduce] waiting lists at {hospital}",
            "{count} patients [waiting|wait] more than {weeks} weeks [at|for] {hospital}",
            "{org_cap} [unveils|announces|sets out] plan to [open|add] {beds} beds",
        ),
        ledes=(
            "{org} has [set out|announced|unveiled] a {amount} plan to [cut|reduce|tackle] "
            "waiting lists at {hospital}, [where {count} patients are waiting|with {count} "
            "patients waiting] more than {weeks} weeks.",
            "[An extra|A further|An additional] {beds} beds [will|are to] be [opened|added] at "
            "{hospital} [as part of|under] a {amount} [plan|programme] [announced|unveiled] by "
            "{org}.",
        ),
        body=(
            "[Some|About|Around] {count} patients [are|were] [waiting|on the list] [longer "
            "than|more than] {weeks} weeks for [treatment|an operation|a first appointment].",
            "[The plan|The programme] [includes|involves] {beds} [new|extra|additional] beds "
            "and {clinics} [evening|weekend|community] clinics.",
            "[Emergency|A&E] [departments|staff] [have|had] [seen|coped with|dealt with] "
            "{stat} [over|during] the [past year|last twelve months].",
            "[Nurses|Staff|Doctors] [have|had] [warned|complained] [about|of] [staff "
            "shortages|long shifts|pressure on wards] [for|over] [months|the past year].",
            "[Recruitment|Hiring] of [extra|additional|new] [nurses|staff|consultants] [is|"
            "will be] [key|central|essential] to [the plan|the programme], {org} [said|"
            "admitted].",
            "[Patients|Families|Relatives] [have|had] [described|reported|spoken of] "
            "[waiting|long waits] [of|for] [hours|many hours] [in|at] the [emergency "
            "department|A&E department].",
            "[Part of|Some of] the [money|funding] [will|is to] [go|be spent] [on|towards] "
            "[diagnostic equipment|scanners|a new day surgery unit].",
        ),
        quotes=(
            "Every [number|figure] on that waiting list is a person [in pain|who is "
            "suffering], and we [take|will treat] that [seriously|as our first priority].",
            "Our staff [have been|are] [working|stretched] [incredibly hard|to the limit], and "
            "this [money|plan] [gives|will give] them [some|real] [breathing space|support].",
            "[Patients|People] [need|want] [to know|clear answers about] when they will be "
            "[seen|treated], not [promises|another plan] on paper.",
            "[Extra|More] beds [mean|will mean] nothing without the [nurses|staff] to [look "
            "after|care for] the patients in them.",
            "[My mother|My husband|My neighbour] waited [months|most of a year] for [an "
            "operation|a scan], and nobody [could|would] tell us [why|when it would happen].",
        ),
        follow_ledes=(
            "The first of the {beds} [new|extra] beds at {hospital} [has|have] [opened|come "
            "into use], [officials|{org}] [said|confirmed].",
            "[Staff|Nurses] at {hospital} [have|] [questioned|challenged] [whether|if] the "
            "{amount} plan [will|can] [deliver|work] [without|unless] [more|extra] "
            "[recruitment|staff].",
        ),
        facts=_health_facts,
    ),
)

_TOPICS_BY_NAME: dict[str, _Topic] = {t.name: t for t in _TOPIC_LIST}
TOPICS: tuple[str, ...] = tuple(_TOPICS_BY_NAME)
"""The names of the topics the writer knows."""

# --------------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------------

_ALT_RE = re.compile(r"\[([^\[\]]*)\]")
_SLOT_RE = re.compile(r"\{(\w+)\}")
_SPACES_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[A-Za-z0-9£][A-Za-z0-9'£.,-]*")


_ARTICLE_RE = re.compile(r"\b([Aa]n?) (?=([\w£&'-]+))")
_AN_RE = re.compile(r"^(?:[aeio]|u(?!ni|se|su|t)|hour|honest|8|11(?![\d])|18(?![\d]))", re.I)


def _fix_article(match: re.Match[str]) -> str:
    article, word = match.group(1), match.group(2)
    wanted = "an" if _AN_RE.match(word) else "a"
    if article[0] == "A":
        wanted = wanted.capitalize()
    return wanted + " "


def _fill(template: str, slots: dict[str, str], rng: random.Random) -> str:
    """Render ``template``: pick one alternative in every ``[a|b]`` and substitute slots."""
    text = _ALT_RE.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    text = _SLOT_RE.sub(lambda m: slots[m.group(1)], text)
    text = _SPACES_RE.sub(" ", text).strip()
    text = text.replace(" ,", ",").replace(" .", ".")
    text = _ARTICLE_RE.sub(_fix_article, text)
    return text[:1].upper() + text[1:]


def _word_count(text: str) -> int:
    return len(text.split())


def slugify(text: str, max_words: int = 9) -> str:
    """Turn a headline into a lowercase, hyphenated URL slug of at most ``max_words`` words."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    return "-".join(words[:max_words]) or "story"


# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A named person involved in an event."""

    name: str
    role: str

    @property
    def last(self) -> str:
        """The surname."""
        return self.name.rsplit(" ", 1)[-1]


@dataclass(frozen=True)
class Quote:
    """A verbatim statement by a person, the same in every report that uses it."""

    speaker: Person
    text: str


@dataclass(frozen=True)
class Event:
    """A fictional news event: who, where, when, the numbers and what people said."""

    key: str
    topic: str
    section: str
    day: date
    place: str
    region: str
    org: str
    people: tuple[Person, ...]
    quotes: tuple[Quote, ...]
    facts: tuple[tuple[str, str], ...]

    def fact(self, name: str) -> str:
        """Return one fact (slot value) of the event by name."""
        return dict(self.facts)[name]


@dataclass(frozen=True)
class Article:
    """A written news article: headline, paragraphs, byline and publication time."""

    title: str
    paragraphs: tuple[str, ...]
    author: str
    published: datetime
    event_key: str
    topic: str
    section: str
    kind: str = "report"
    quotes: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """The body as plain text, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        """Number of whitespace-separated words in the body."""
        return sum(_word_count(p) for p in self.paragraphs)

    @property
    def summary(self) -> str:
        """The first sentence of the body (used as feed description)."""
        first = self.paragraphs[0]
        cut = first.find(". ")
        return first if cut < 0 else first[: cut + 1]

    @property
    def slug(self) -> str:
        """A hyphenated slug derived from the headline."""
        return slugify(self.title)


# --------------------------------------------------------------------------------------------
# The writer
# --------------------------------------------------------------------------------------------

_MIN_WORDS = 380
_MAX_WORDS = 880
_TARGET_WORDS = (380, 720)


class NewsWriter:
    """Deterministic generator of events and of articles about them.

    All randomness comes from one ``random.Random(seed)``, so the same sequence of calls with
    the same seed gives the same output.
    """

    def __init__(self, seed: int) -> None:
        """Create a writer whose output depends only on ``seed`` and the calls made."""
        self._rng = random.Random(seed)
        self._events = 0
        self._used: dict[str, set[str]] = {}
        self._used_people: set[str] = set()
        self._used_quotes: set[str] = set()

    # -- people and events ---------------------------------------------------------------

    def person_name(self, avoid_surnames: frozenset[str] = frozenset()) -> str:
        """Return a full name never returned before by this writer (surname not in the set)."""
        for _ in range(10_000):
            name = f"{self._rng.choice(_FIRST_NAMES)} {self._rng.choice(_LAST_NAMES)}"
            if name not in self._used_people and name.rsplit(" ", 1)[-1] not in avoid_surnames:
                self._used_people.add(name)
                return name
        raise RuntimeError("ran out of names")  # pragma: no cover - ~2,000 combinations

    def town(self) -> str:
        """Return a fictional town name."""
        return self._rng.choice(_TOWN_HEADS) + self._rng.choice(_TOWN_TAILS)

    def event(self, topic: str | None = None, day: date | None = None) -> Event:
        """Invent a new event on ``topic`` (random if None) happening on ``day``."""
        rng = self._rng
        spec = _TOPICS_BY_NAME[topic] if topic else rng.choice(_TOPIC_LIST)
        self._events += 1
        place = self.town()
        place2 = self.town()
        while place2 == place:
            place2 = self.town()
        region, region_short = rng.choice(_REGIONS)
        when = day or date(2026, 11, 2) + timedelta(days=rng.randint(0, 20))
        facts = spec.facts(rng, place, place2, region_short)
        people_list: list[Person] = []
        for role in spec.roles:
            taken = frozenset(p.last for p in people_list)
            people_list.append(Person(self.person_name(taken), role))
        people = tuple(people_list)
        slots = self._base_slots(spec, place, place2, region, when, facts, people)
        quote_pool = list(spec.quotes) + list(_GENERIC_QUOTES)
        fresh = [q for q in quote_pool if q not in self._used_quotes]
        if len(fresh) < 3:
            fresh = quote_pool
        quote_templates = rng.sample(fresh, 3)
        self._used_quotes.update(quote_templates)
        speakers = (people[0], people[1], people[rng.choice((0, 2))])
        quotes = tuple(
            Quote(sp, _fill(tpl, slots, rng))
            for sp, tpl in zip(speakers, quote_templates, strict=True)
        )
        key = f"ev{self._events:03d}-{spec.name}"
        return Event(
            key=key,
            topic=spec.name,
            section=spec.section,
            day=when,
            place=place,
            region=region,
            org=facts["org"],
            people=people,
            quotes=quotes,
            facts=tuple(sorted(slots.items())),
        )

    def _base_slots(
        self,
        spec: _Topic,
        place: str,
        place2: str,
        region: str,
        when: date,
        facts: dict[str, str],
        people: tuple[Person, ...],
    ) -> dict[str, str]:
        rng = self._rng
        slots = dict(facts)
        slots.update(
            place=place,
            place2=place2,
            region=region,
            weekday=_WEEKDAYS[when.weekday()],
            weekday2=_WEEKDAYS[(when.weekday() + rng.randint(2, 5)) % 7],
            month=_MONTHS[(when.month) % 12],
            signatures=f"{rng.randrange(1200, 9000, 10):,}",
            poll_pct=f"{rng.randint(28, 71)} per cent",
            prev_amount=_money(rng, 1, 90),
            since_year=str(rng.randint(2015, 2024)),
            venue=rng.choice(
                (
                    f"the {place} Civic Hall",
                    f"the Old Library on {rng.choice(_STREETS)}",
                    f"the {place} Community Centre",
                    f"the Corn Exchange in {place}",
                )
            ),
            org_cap=facts["org"][:1].upper() + facts["org"][1:],
            cllr=self.person_name(),
            population=f"{rng.randrange(8000, 120000, 100):,}",
        )
        if "warning" in slots:
            slots["warning_cap"] = slots["warning"].capitalize()
        for i, person in enumerate(people):
            slots[f"p{i}"] = person.name
            slots[f"p{i}_last"] = person.last
            slots[f"p{i}_role"] = person.role
        return slots

    # -- articles ------------------------------------------------------------------------

    def report(
        self,
        event: Event,
        *,
        author: str,
        published: datetime | None = None,
        quotes: Sequence[int] = (0, 1),
    ) -> Article:
        """Write a news report on ``event`` using the event's quotes at indexes ``quotes``.

        Every report on the same event uses sentence templates that no earlier report on the
        event used, so two reports share facts and quotes but not prose.
        """
        spec = _TOPICS_BY_NAME[event.topic]
        return self._write(
            event,
            spec,
            headlines=spec.headlines,
            ledes=spec.ledes,
            author=author,
            published=published,
            quotes=quotes,
            kind="report",
        )

    def follow_up(
        self,
        event: Event,
        *,
        author: str,
        published: datetime | None = None,
        quotes: Sequence[int] = (2,),
    ) -> Article:
        """Write a follow-up story on ``event`` (new angle, new prose, usually a new quote)."""
        spec = _TOPICS_BY_NAME[event.topic]
        return self._write(
            event,
            spec,
            headlines=_GENERIC_FOLLOW_HEADLINES,
            ledes=spec.follow_ledes + _GENERIC_FOLLOW_LEDES,
            author=author,
            published=published,
            quotes=quotes,
            kind="follow_up",
        )

    def filler(self, n: int) -> list[str]:
        """Return ``n`` sentences in the voice of a copycat site (own padding text)."""
        chosen = self._rng.sample(_FILLER, min(n, len(_FILLER)))
        return [_fill(t, {}, self._rng) for t in chosen]

    def _write(
        self,
        event: Event,
        spec: _Topic,
        *,
        headlines: Sequence[str],
        ledes: Sequence[str],
        author: str,
        published: datetime | None,
        quotes: Sequence[int],
        kind: str,
    ) -> Article:
        rng = self._rng
        slots = dict(event.facts)
        used = self._used.setdefault(event.key, set())
        local: set[str] = set()

        def pick(pool: Sequence[str]) -> str:
            # Prefer templates no report on this event used; then any not used in this article.
            fresh = [t for t in pool if t not in used]
            spare = [t for t in pool if t not in local]
            template = rng.choice(fresh or spare or list(pool))
            used.add(template)
            local.add(template)
            return template

        title = _fill(pick(headlines), slots, rng).rstrip(".")
        lede = _fill(pick(ledes), slots, rng)

        quote_sentences: list[str] = []
        quote_texts: list[str] = []
        for index in quotes:
            quote = event.quotes[index]
            qslots = dict(slots)
            qslots.update(
                q=quote.text,
                qc=quote.text[:-1] + ",",
                sp=quote.speaker.name,
                sp_last=quote.speaker.last,
                sp_role=quote.speaker.role,
            )
            quote_sentences.append(_fill(pick(_QUOTE_FRAMES), qslots, rng))
            quote_texts.append(quote.text)

        body_pool = list(spec.body) + list(_GENERIC_BODY)

        def body_sentence() -> str:
            return _fill(pick(body_pool), slots, rng)

        n_paragraphs = rng.randint(7, 10)
        paragraphs: list[list[str]] = [[] for _ in range(n_paragraphs)]
        paragraphs[0].append(lede)
        quote_slots = sorted(rng.sample(range(1, n_paragraphs), len(quote_sentences)))
        for slot, sentence in zip(quote_slots, quote_sentences, strict=True):
            paragraphs[slot].append(sentence)
        for para in paragraphs:
            target = rng.randint(2, 3)
            while len(para) < target:
                at = len(para) if para and para[0] == lede else rng.randint(0, len(para))
                para.insert(at, body_sentence())

        def words() -> int:
            return sum(_word_count(s) for para in paragraphs for s in para)

        target_words = rng.randint(*_TARGET_WORDS)
        while words() < target_words:
            open_paras = [p for p in paragraphs if len(p) < 4]
            if open_paras:
                rng.choice(open_paras).append(body_sentence())
            elif len(paragraphs) < 12:
                paragraphs.append([body_sentence(), body_sentence()])
            else:  # pragma: no cover - templates are long enough that this never happens
                break
        while words() > _MAX_WORDS:
            long_paras = [p for p in paragraphs if len(p) > 2]
            if not long_paras:  # pragma: no cover
                break
            para = rng.choice(long_paras)
            removable = [s for s in para if s != lede and s not in quote_sentences]
            para.remove(removable[-1])

        when = published or datetime.combine(
            event.day, time(rng.randint(6, 20), rng.choice((0, 15, 30, 45))), tzinfo=UTC
        )
        return Article(
            title=title,
            paragraphs=tuple(" ".join(p) for p in paragraphs),
            author=author,
            published=when,
            event_key=event.key,
            topic=event.topic,
            section=event.section,
            kind=kind,
            quotes=tuple(quote_texts),
        )
