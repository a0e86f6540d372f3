"""Evidence for an answer: what the question asks for, the passage sentences that bear on it
(ranked), and the prompt that hands the best of them to a language model. Whether they can
answer it at all is `rag.judge`'s call.

The ranking is shared by the extractive generator (which answers with the best sentences,
tidied) and the language-model path (which reads only them)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

import numpy as np

import prompts
from rag.text import DEMONYM, STOPWORDS, acronyms, is_credit, sentences, terms, words
from rag.types import Candidate, Chunk, Passage, Prompt


def render(question: str, passages: list[Passage], evidence: list[Candidate] | None = None,
           synthesis: bool = False, limit: int = 6) -> Prompt:
    """The prompt for a language model: the fixed system text first (llama.cpp reuses its
    cached prefix), then the `limit` best evidence sentences (best first, each with its
    article's outlet and date when known), the task and the question. The model writes no
    citation markers: small models cannot (they refused or mis-cited); `rag.verify` finds
    each answer sentence's support afterwards. Without `evidence`, whole passages."""
    if evidence is None:
        lines = [_evidence_line(p.chunk.text, p) for p in passages]
    else:
        lines = [_evidence_line(tidy(c.text, question), passages[c.passage - 1]) for c in evidence[:limit]]
    user = prompts.text("answer_user").format(
        evidence="\n".join(lines), question=question,
        task=prompts.text("task_synthesis" if synthesis else "task_fact"))
    messages = [{"role": "system", "content": prompts.text("answer_system")}, {"role": "user", "content": user}]
    return Prompt(question, passages, messages, evidence=evidence or [], synthesis=synthesis)


def render_corpus(prompt: Prompt, corpus: str, question: str, history: Sequence[tuple[str, str]] = ()) -> Prompt:
    """`prompt` for a language model that reads every indexed article (`corpus_text`), not
    excerpts: when they all fit, the articles are the fixed system text, which llama.cpp
    evaluates once and reuses, so the first token waits only for the question's few tokens
    (docs/benchmarks.md, session 10). The conversation follows as chat turns, then the question
    as the user typed it: the model resolves "they" and "there" itself. The passages stay the
    retrieved ones: `rag.verify` finds each answer sentence's support among them."""
    messages = [{"role": "system", "content": prompts.text("corpus_system").format(articles=corpus)}]
    for asked, answered in history:
        messages += [{"role": "user", "content": asked}, {"role": "assistant", "content": answered}]
    task = prompts.text("task_synthesis" if prompt.synthesis else "task_fact")
    messages.append({"role": "user", "content": prompts.text("corpus_user").format(task=task, question=question)})
    return replace(prompt, messages=messages)


def corpus_text(chunks: Iterable[Chunk]) -> str:
    """Every article, whole, in publication order (undated ones last, then by id): a stable
    text, so the same articles give the same prompt prefix."""
    articles: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        articles.setdefault(chunk.article_id, []).append(chunk)
    ordered = sorted(articles.values(), key=lambda cs: (not cs[0].published, cs[0].published, cs[0].article_id))
    return "\n\n".join(_article_block(number, sorted(cs, key=lambda c: c.start))
                       for number, cs in enumerate(ordered, start=1))


def _article_block(number: int, chunks: list[Chunk]) -> str:
    head = chunks[0]
    source = ", ".join(x for x in (head.outlet, head.published or "date unknown") if x)
    text = "".join(("\n" if i and c.start > chunks[i - 1].end else "") + c.text for i, c in enumerate(chunks))
    return prompts.text("corpus_article").format(number=number, title=head.title or "untitled", source=source, text=text)


def _evidence_line(text: str, passage: Passage) -> str:
    chunk = passage.chunk
    source = ", ".join(x for x in (chunk.outlet, chunk.published) if x)
    return prompts.text("passage").format(text=text, source_line=f" ({source})" if source else "")


# -- what the question asks ----------------------------------------------------------------------

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE_TERMS = frozenset(terms(" ".join(MONTHS + WEEKDAYS)))
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
# A date a reader can put on a calendar: "19 December", "December 19", "Monday", "2022-12-19".
_DAY_MONTH = rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}|\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
DAY_MONTH = re.compile(_DAY_MONTH)  # a day of a month, not a weekday alone
DAY_DATE = re.compile(rf"{_DAY_MONTH}|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
DATE_WORDS = re.compile(
    r"\b(19|20)\d{2}\b|\b(January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|"
    r"today|tomorrow|tonight|ago|spring|summer|autumn|winter|last (week|month|year)|next (week|month|year))\b", re.IGNORECASE,
)
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
ASKS_DAY = re.compile(r"\b(?:what|which) (?:date|day of the month)\b|\bon what date\b")
# "first visit since June 2019": the first X since a date gives the last X before it
FIRST_SINCE = re.compile(rf"\bfirst\b[^.;]*?\bsince\s+(?:(?:early|late|mid)[- ])?(?:{_MONTH}\s+)?(?:19|20)\d{{2}}\b")
FIRST_SINCE_BONUS = 0.3
# A question measuring back from a date ("the last time before December"); "last December" and
# "last week" only say which December or week.
EARLIER = re.compile(r"\b(before|previous|prior|earlier)\b|\blast\b(?!\s+(?:week|month|year|night|weekend|"
                     + "|".join(MONTHS + WEEKDAYS) + r")\b)")
COUNT = re.compile(r"(?<![\w-])\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                   r"forty|fifty|hundred|hundreds|thousand|thousands|million|billion|dozen|dozens|half)\b", re.IGNORECASE)
AGE = re.compile(r"\b(?:\d+|[a-z]+)[- ]years?[- ]old\b|\baged? \d+|\b\d+\s*\((?:age|aged)\b|,\s*\d{2},", re.IGNORECASE)
HOW_LONG = re.compile(r"\bhow long\b(?!\s+ago)", re.IGNORECASE)
_UNIT = r"(?:second|minute|hour|day|night|week|month|year|decade)s?"
DURATION = re.compile(rf"(?:\b\d[\d,.]*|\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                      rf"fifteen|twenty|thirty|forty|fifty|several|many|few|a few|dozens of|hundreds of))[- ]{_UNIT}\b"
                      rf"(?![- ](?:old|ago)\b)|\bsince\s+(?:\w+\s+)?(?:19|20)\d{{2}}\b|"
                      rf"\b(?:all|the whole|the entire)\s+(?:day|night|week|month|year)\b|"
                      rf"\bfor\s+(?:years|decades|months|weeks|days|hours|ages|a long time)\b|"
                      # "in recent weeks", "over the past few months": how long it has been going on
                      rf"\b(?:in|over|during)\s+(?:the\s+)?(?:recent|past|last)\s+(?:few\s+|several\s+|couple of\s+)?"
                      rf"(?:years|decades|months|weeks|days|hours)\b", re.IGNORECASE)
# "when will the war be over", "when does she say the war will be over": a time to come
FUTURE_WHEN = re.compile(r"\bwhen\s+(?:will|would|could|can|should)\b|\bwhen\s+(?:does|do|did)\s+(?:[\w’'-]+\s+){1,3}?"
                         r"(?:say|think|expect|believe|predict|hope)\s+(?:that\s+)?(?:[\w’'-]+\s+){1,4}?(?:will|would)\b",
                         re.IGNORECASE)
FUTURE = re.compile(r"\b(?:will|would|could|may|might|likely|probably|soon|next|expect\w*|due|scheduled|plans?|"
                    r"is to|are to|set to|going to)\b", re.IGNORECASE)  # "It is more likely to come in spring"
AGO = re.compile(rf"\b[\w-]+\s+{_UNIT}\s+ago\b", re.IGNORECASE)
CONDITION_ASKED = re.compile(r"\b(?:under|on|in) what (?:conditions?|circumstances?|terms|case)\b")
CONDITIONAL = re.compile(r"\b(?:if|unless|provided|as long as|on condition|only when|in case)\b", re.IGNORECASE)
WH = re.compile(r"\b(what|which|who|whom|whose|when|where|whereabouts|why|how)\b", re.IGNORECASE)
YES_NO = re.compile(r"^\W*(?:(?:and|so|but)\s+)?(?:did|does|do|is|are|was|were|will|would|can|could|has|have|had|"
                    r"should)\b", re.IGNORECASE)  # "Did Putin say when he would visit?"
CALENDAR = re.compile(r"^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
                      r"April|May|June|July|August|September|October|November|December)", re.IGNORECASE)
# Questions that ask for an account drawn from several articles rather than one fact.
SYNTHESIS = re.compile(
    r"\b(summari[sz]e|summary|sum up|overview|recap|main points|key points|gist|timeline|in common|"
    r"compare|comparison|contrast|differ|difference|differences|similarities|similar)\b|"
    r"\bhow (did|has|have|do|does) .{0,80}\b(change|changed|develop|developed|evolve|evolved|progress)\b|"
    r"\bwhat happened (between|over|during|from)\b|\bpull together\b|"
    # "what do the articles say", "what the coverage says about"
    r"\bwhat (?:(?:do|does|did) )?(?:the |these |those )?(?:articles|coverage|reports|stories|outlets|sources) "
    r"(?:say|says|said|report|reports|reported|tell|tells)\b|"
    r"\b(rundown|run-down|round-?up|every time|each time|all the times)\b|"
    r"\bhow (do|did) (the )?(different |various )?(outlets|articles|reports|sources|papers)\b|"
    # the question says it wants the coverage as a whole, or two sides set against each other
    r"\b(based on|across) (all )?(these|the|those) (articles|reports|stories|coverage)\b|"
    r"\b(stayed|remained) the same\b|\bvs\.?\s|\bversus\b|"
    r"\b(?:all|each|both|every one) (?:of )?(?:the |these |those |five )?(?:articles|reports|stories|pieces|sources|outlets)\b|"
    # how people ask for the whole story: "walk me through", "the big picture", "the main takeaways"
    r"\bwalk me through\b|\b(?:big|overall|broader|full|whole) picture\b|\btakeaways?\b|"
    r"\b(?:main|key|major|central|common) (?:themes?|issues|threads?|developments|takeaways?|storylines?|highlights)\b|"
    r"\b(?:give|tell) me (?:a |an )?(?:brief |short |quick )?(?:rundown|overview|picture|outline|briefing)\b|"
    r"\b(?:in|from|across) (?:these|those|the|all the|both) (?:articles|reports|stories|pieces)\b|\bround up\b|"
    r"\boutline (?:the|what|how)\b|\bwhat do we know about\b|\bhow (?:do|does|did) .{0,60}\b(?:stack up|relate)\b|"
    # a request, not a question: "Describe how ...", "Explain what ...", "Trace ...", "Tell me about ..."
    r"^\W*(?:(?:please|can you|could you)\s+)?(?:describe|explain(?!\s+(?:why|when|where|who)\b)|trace|sketch|list|characteri[sz]e|discuss|review|"
    r"synthesi[sz]e|lay out|break down|go over|run through|put together|tell me about|give (?:me )?(?:a |an )?"
    r"(?:sense|account|view|idea) of)\b",
    re.IGNORECASE,
)
# Words a question uses to ask, not to say what it is about: an article never needs them.
ASKING = frozenset(terms(
    "summarise summarize summary sum overview recap main key points gist timeline compare comparison contrast "
    "differ difference differences similar similarities common change changed develop developed evolve "
    "evolved progress happen happened describe described explain explained mention mentioned discuss "
    "discussed talk talked tell told say said state stated report reported claim claimed call called "
    "think thought mean meant give gave make made take took get got go went come came show shown "
    "kind sort type thing things way ways reason reasons name names detail details exactly article "
    "articles passage news story reports according relationship relations one ones "
    "respond responded react reacted pass passed occur occurred late mid "
    "begin began start started end ended become became remain remained "
    # modifiers that ask which one, not about what: "his previous visit" is "an earlier visit"
    "previous recent latest last first next new old former current early exact specific total overall time "
    "other same own different certain particular official actual possible likely ever also "
    "many much since regarding concerning about around suggest suggested suggests propose proposed "
    # the article itself: "when was the piece published", "who wrote it"
    "piece coverage author byline wrote written publish published post posted carried reprinted syndicated "
    # ... and its parts: "the subheading on the Jerusalem Post story", "that header photo"
    "header headline headlines subheading subhead subtitle caption captions page paragraph sidebar copy "
    "whereabouts often frequently "
    # words that stand for what is asked about without naming it: "did they agree anything on gas"
    "anything something everything anyone someone anybody somebody else put puts whose whom "
    "besides apart aside except "  # "besides closer ties, what ...": words that frame what is asked
    "per via"  # "per bloomberg": the source, which source_words() takes out, not what it is about
))


# "Which Chinese leader", "the name of Belarus's defence minister", "who is the opposition
# leader": a person holding a role, answered by a name ("Svetlana Tikhanovskaya"), not by any
# capitalised word ("The state news agency Belta said Lukashenko would start a visit to China").
ROLE = (r"(?:leader|president|minister|official|spokes(?:person|man|woman)|general|commander|chief|head|"
        r"chairman|chairwoman|ambassador|envoy|diplomat|secretary|premier|journalist|reporter|correspondent|"
        r"author|writer|editor|analyst|expert|lawmaker|senator|mayor|governor|officer|politician|person)s?")
_NOT_ADJECTIVE = r"(?!(?:did|does|do|is|was|were|are|has|have|had|will|would|can|could|kind|sort|type)\b)"
PERSON_ASKED = re.compile(
    rf"\b(?:which|what)\s+(?:{_NOT_ADJECTIVE}[\w’'-]+\s+){{0,3}}?{ROLE}\b|"
    rf"\bnames?\s+of\s+(?:[\w’'-]+\s+){{0,4}}?{ROLE}\b|"
    rf"\bwho\s+(?:is|was|are|were)\s+(?:the|their|his|her|its|[\w-]+['’]s)\s+(?:[\w’'-]+\s+){{0,3}}?{ROLE}\b",
    re.IGNORECASE)
FULL_NAME = re.compile(r"\b[A-Z][\w’'-]+(?:\s+(?:[A-Z]\.\s+)?[A-Z][\w’'-]+)+")  # "Aleksandr G. Lukashenko"
# A capitalised run with one of these is an organisation, not a person ("US State Department")
ORGANISATION = frozenset(terms(
    "states union conference department commission council ministry agency kremlin museum post times news "
    "reporter forces army committee office service group bank organization organisation parliament assembly "
    "party federation republic economist reuters bloomberg"))
ROLE_NEAR = 6  # words between a person's name and the role that says who they are ("spokesperson for")


def expected_type(question: str) -> str:
    """What kind of answer the question asks for ("date", "quantity", "person", "name", "condition", "place" or "any"),
    judged by its first question word: "How did Putin describe X when asked" asks for a
    description, not a date."""
    q = asking_sentence(question).lower()
    first = WH.search(q)
    if not first:  # "tell me the name of the defence minister" asks for a person too
        return "person" if PERSON_ASKED.search(q) else "any"
    rest = q[first.start():]
    # "how long ago" asks when, and "a year ago" answers it
    if re.match(r"when\b|how long ago\b|(?:what|which) (year|date|day|month|time|season)\b", rest) or re.search(r"\bsince when\b", q):
        return "date"
    if CONDITION_ASKED.search(q):
        return "condition"
    if re.match(r"(?:where|from where|whereabouts)\b", rest) or re.match(r"(?:from |in )?(?:which|what) direction", rest):
        return "place"
    if re.match(r"how (?:often|frequently|regularly)\b", rest):
        return "frequency"
    if re.match(r"how (many|much|long|old|far)\b|(what|which) (percentage|percent|share|proportion|number|amount)\b", rest) \
            or MEASURE_ASKED.match(rest):
        return "quantity"
    if PERSON_ASKED.search(q):
        return "person"
    if re.match(r"(who|whom|whose)\b|what(?:['’]s| is| was| are| were)? (?:the |their |his |her )?names?\b", rest) \
            or NAMED_KIND.match(rest) or re.search(r"\b(?:called|named|known as)\W*$", q):
        return "name"
    return "any"


# Where something is: a name after a word that places it ("in Minsk", "at the Munich Security Conference",
# "from Belarusian territory"), or a direction or kind of place ("from the east", "near the border")
PLACED_AT = re.compile(r"\b(?:in|at|from|to|near|into|across|outside|inside|towards?|via|on the sidelines of)\s+"
                       r"(?:the\s+|a\s+)?((?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|"
                       r"March|April|May|June|July|August|September|October|November|December)\b)[A-Z][\w’'.-]+)|"
                       r"\b([A-Z][\w’'.]+)-based\b")  # "a Washington-based research group"
# ... or a place without a name: "moved to the new reading room", "held in a hotel outside the city"
PLACED_NOUN = re.compile(r"\b(?:in|at|from|to|into|near|inside|outside|across)\s+(?:the|a|an|his|her|their|its)\s+"
                         r"((?:[a-z][\w’'-]*\s+){0,2}(?!(?:week|month|year|day|morning|afternoon|evening|night|spring|"
                         r"summer|autumn|fall|winter|past|future|end|start|beginning|meantime|time|moment|run-up|wake|"
                         r"aftermath|war|talks|meeting|conflict|invasion|summit|event|press|news|media)s?\b)[a-z][\w’'-]*)")
DIRECTION = re.compile(r"\b(?:north|south|east|west|northern|southern|eastern|western|north-?east|north-?west|"
                       r"south-?east|south-?west|border|borders|frontier|territory|abroad|overseas|capital|sidelines|exile|jail|prison|"
                       r"hiding)\b", re.IGNORECASE)


# How often something happens: "a regular visitor", "the annual conference", "twice a year", "every week"
FREQUENCY = re.compile(r"\b(?:regular(?:ly)?|annual(?:ly)?|yearly|monthly|weekly|daily|often|frequent(?:ly)?|rarely|rare|"
                       r"seldom|occasional(?:ly)?|repeatedly|routinely|twice|\w+ times|"  # "many times", not "at the time"
                       r"every (?:year|month|week|day)|each (?:year|month|week))\b", re.IGNORECASE)


# "What's the range of the Iskander-M?", "what was the death toll": a measure, answered by a number
MEASURE_ASKED = re.compile(
    r"whats?(?:['’]s| is| was| are| were| will be| would be)?\s+(?:the|its|their|his|her)\s+(?:(?:total|exact|estimated|"
    r"maximum|minimum|average|death|actual|discounted|current|new|agreed)\s+){0,2}(?:range|price|cost|population|size|"
    r"length|height|weight|distance|speed|capacity|budget|salary|toll|yield|altitude|area|value|worth|turnover|revenue|"
    r"debt)\s+(?:of|for|that|[a-z]+\s+(?:pays?|paid|charges?|charged|gets?|got))\b")


# A phrase the question quotes: “...”, "..." or '...' (not an apostrophe: "Russia's 'plan'" opens after a space)
QUESTION_QUOTE = re.compile(r"“([^”]+)”|\"([^\"]+)\"|(?<![\w’'])'([^']+)'(?![\w’'])")
QUOTED_TERMS, QUOTED_WORDS = 2, 4  # a quotation the question repeats: "heights of irony", "as if I could not agree"


def question_quotes(question: str) -> list[str]:
    """The phrases `question` quotes, in whichever quotation marks it uses."""
    return [next(g for g in m.groups() if g) for m in QUESTION_QUOTE.finditer(question)]


def holds_quote(sentence: str, question: str) -> bool:
    """Whether `sentence` holds, word for word, a phrase the question quotes (two content terms or
    more, or four words): "Lukashenko shot back 'As if I could not agree.' Why might he feel he had no choice?" is
    about the sentence that reports that reply, whatever other words they share."""
    said = " ".join(words(sentence))
    return any((len(terms(quote)) >= QUOTED_TERMS or len(words(quote)) >= QUOTED_WORDS)
               and f" {' '.join(words(quote))} " in f" {said} "
               for quote in question_quotes(question))


ECHO_SPREAD = 2  # a quoted phrase's words, in order, within twice its length: "only if attacked"


def echoes_quote(sentence: str, question: str) -> bool:
    """Whether `sentence` says a phrase the question quotes with words put between ("his 'only if
    attacked' line" for "Belarus would only join the war if attacked"): the words of a quotation
    of three or more, a content word among them, in order within ECHO_SPREAD times its length."""
    said = words(sentence)
    return any(len(quoted := words(quote)) >= 3 and terms(quote) and _in_order(quoted, said, ECHO_SPREAD * len(quoted))
               for quote in question_quotes(question))


def _in_order(wanted: list[str], said: list[str], window: int) -> bool:
    for start in (i for i, w in enumerate(said) if w == wanted[0]):
        rest = iter(said[start + 1 : start + window])
        if all(w in rest for w in wanted[1:]):  # `in` consumes the iterator: an in-order match
            return True
    return False


def asking_sentence(question: str) -> str:
    """The sentence that asks, after any that set the scene: "When Putin thanked him, Lukashenko shot back
    'As if I could not agree.' Why might he feel he had no choice?" asks why, not when."""
    asked = question.rfind("?")
    ends = [m.end() for m in SENTENCE_END.finditer(question) if m.end() <= asked]
    # "what about the other direction, how often does he go?": the opener turns to the question after it
    return OPENER.sub("", question[max(ends, default=0):], count=1)


OPENER = re.compile(r"^\W*(?:(?:and|so|ok|okay|right|now|well)\W+)*(?:what|how) about\b[^,?]*,\s*(?=(?:what|which|who|whom|"
                    r"whose|when|where|why|how)\b)", re.IGNORECASE)


# A sentence's end inside a question (a closing quote may follow the stop), not "Mr." or "G."
SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bMrs)(?<!\bGen)(?<!\bLt)(?<!\bCol)(?<!\bSen)(?<!\bRep)"
                          r"(?<!\b[A-Z])[.!?][’'\"”)]*\s+(?=[A-Z“\"'])")


# "Which city", "what exhibition", "which air base": kinds of thing known by their names ("St. Petersburg"),
# so a sentence naming none ("a high-profile event at the Russian Museum") does not say which
NAMED_KIND = re.compile(
    r"(?:what|which)\s+(?:[\w’'-]+\s+){0,2}?(?:city|cities|town|towns|village|country|countries|capital|region|"
    r"province|newspaper|newspapers|paper|publication|outlet|agency|base|airport|museum|exhibition|company|firm|"
    r"team|club|party|operation|alliance|treaty|bank|ship|channel|station|network|university|hospital|prison|hotel|"
    r"palace|venue|stadium)\b", re.IGNORECASE)


# "Who wrote the Bloomberg piece?", "When was the story published?": about the article itself,
# answered only by its credit line ("16 December 2022 - 13:59 By Benjamin Harvey"). The question
# must name the article ("piece", "story"): "when was the ceasefire proposal published" is not.
CREDIT = re.compile(r"\bwho (?:wrote|authored)\b|\bauthor|\bwritten by\b|"
                    r"\b(?:when|what day|what date|which day|what time)\b.*\b(?:published|posted|go(?:es)? up|went up|"
                    r"gone up|come out|came out|appear(?:ed)?|put out|run|ran)\b", re.IGNORECASE)
ARTICLE = re.compile(r"\b(?:article|piece|story|coverage|report|byline)\b", re.IGNORECASE)
CREDIT_BONUS = 1.0


def asks_for_credit(question: str) -> bool:
    return bool(CREDIT.search(question) and ARTICLE.search(question))


def is_synthesis(question: str) -> bool:
    """A summary, comparison or "how did X change" question: answered from several articles."""
    return bool(SYNTHESIS.search(question))


def has_type(sentence: str, kind: str, question: str) -> bool:
    if kind == "date" and re.search(r"\b(what|which) year\b", question, re.IGNORECASE):
        return bool(YEAR.search(sentence))  # a weekday does not say which year
    if kind == "date" and FUTURE_WHEN.search(question):  # a time to come, or what it waits for: not "on Friday"
        return bool(re.search(r"\b(until|once|by the time|as soon as|after|before)\b", sentence, re.IGNORECASE)) or \
            bool(DATE_WORDS.search(sentence) and FUTURE.search(sentence))
    if kind == "date" and ASKS_DAY.search(question.lower()):  # "on what date was the 2020 election held":
        # a day, not the year the question already holds, nor "after the disputed elections in 2020"
        return any(d.lower() not in question.lower() for d in DAY_DATE.findall(_without_since(sentence, question)))
    if kind == "date":  # "until Belarus is free" answers "when will the war be over" too; "since 2019" does
        lowered, sentence = question.lower(), _without_since(sentence, question)  # not answer "when did he arrive
        # on his first trip since 2019", nor does "since June 2019"
        return any(m.group().lower() not in lowered for m in DATE_WORDS.finditer(sentence)) or \
            bool(re.search(r"\b(until|after|before|once)\b", sentence, re.IGNORECASE)) or \
            bool(AGO.search(sentence))  # "a year ago" answers "how long ago", which has "ago" too
    if kind == "quantity" and re.search(r"\bhow old\b", question, re.IGNORECASE):  # an age, not any number
        return bool(AGE.search(sentence))
    if kind == "quantity" and re.search(r"\b(?:what|which) (?:percentage|percent|share|proportion)\b", question, re.IGNORECASE):
        return bool(re.search(r"\d\s*%|\bper ?cent\b|\bhalf\b|\bquarter\b|\bthird\b", sentence, re.IGNORECASE))
    if kind == "frequency":  # "how often": "a regular visitor", "the annual conference", "twice a year"
        return bool(FREQUENCY.search(sentence))
    if kind == "quantity" and HOW_LONG.search(question):  # a duration ("a two-day meeting"), not any number
        return bool(DURATION.search(sentence))
    if kind == "quantity":  # a count, not just a year: "in 2020" does not say how many
        return bool(counts(sentence)) or \
            bool(re.search(r"\b(percent|dozens|hundreds|thousands|millions|several)\b", sentence, re.IGNORECASE)) or \
            vague_count(sentence, question)
    if kind == "place":  # "where might the offensive come from": "from the east, the south, or Belarus"
        return any(not set(words(m.group(1) or m.group(2))) <= set(words(question)) for m in PLACED_AT.finditer(sentence)) or \
            bool(DIRECTION.search(sentence)) or \
            any(m.group(1).lower() not in question.lower() for m in PLACED_NOUN.finditer(sentence))
    if kind == "condition":  # "under what condition would Belarus join the war": "only ... if attacked"
        return bool(CONDITIONAL.search(sentence))
    if kind == "person":
        return any(_person(match, sentence, question) for match in FULL_NAME.finditer(sentence))
    if kind == "name":
        asked = set(words(question))
        # A capitalised word the question does not contain, other than a sentence-initial
        # function word ("They ...") or a weekday or month.
        # "Last week, ..." names nothing; nor does "Russian" in "Russian and Belarusian troops"
        return any(t[0].isupper() and not CALENDAR.match(t) and not set(words(t)) <= asked | STOPWORDS | ASKING
                   and not DEMONYM.match(t) for t in re.findall(r"[\w’'-]+", sentence))
    return True


def name_words_of(run: str) -> list[str]:
    """The words of a person's name in a capitalised run ("Belarusian President Alexander
    Lukashenko": Belarusian, Alexander, Lukashenko), or none when it is not a person's: fewer than
    two such words, or an organisation's ("US State Department")."""
    names = [w.strip("’'") for w in run.split() if w.lower() not in STOPWORDS and not CALENDAR.match(w)
             and not re.fullmatch(ROLE, w, re.IGNORECASE) and "." not in w
             and not re.search(r"-[a-z]", w)]  # "the Soviet-designed Sukhoi jet" names a designer, not a person
    return names if len(names) >= 2 and not set(terms(run)) & ORGANISATION else []


SPEAKING = r"(?:said|says|told|tells|speaking|spoke|called|wrote|added|asked|replied|answered)"
# "Lukashenko said", "..., said Peskov.": not "said Armenia can't avoid ..."
SPEAKER = re.compile(rf"\b([A-Z][a-z][\w-]+)\s+{SPEAKING}\b|\b{SPEAKING}\s+([A-Z][a-z][\w-]+)(?=\s*[,.;]|$)")
TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Dr)\.?\s+([A-Z][\w-]+)\b(?![’']|\s+[A-Z])")  # "Mr. Putin"


def people(text: str) -> dict[str, str]:
    """The people `text` names in full, by surname, each with a role or a verb of speaking within
    ROLE_NEAR words: {"lukashenko": "Alexander Lukashenko", ...}; not "Landlocked Belarus is ..."."""
    found: dict[str, str] = {}
    for match in FULL_NAME.finditer(text):
        names = name_words_of(match.group())
        if names and re.search(rf"\b(?:{ROLE}|{SPEAKING})\b", f"{match.group()} {_beside(match, text)}", re.IGNORECASE):
            found.setdefault(names[-1].lower(), " ".join(names[-2:]))
    for title in TITLED.finditer(text):  # "Mr. Putin": a person named once in full elsewhere, if at all
        found.setdefault(title.group(1).lower(), title.group(1))
    for speaker in SPEAKER.finditer(text):  # "Lukashenko said", in passages that never give his full name
        name = speaker.group(1) or speaker.group(2)
        if _proper(name, text) and not set(terms(name)) & ORGANISATION and not re.fullmatch(ROLE, name, re.IGNORECASE):
            found.setdefault(name.lower(), name)
    # a place ("Landlocked Belarus is dependent ...") is also somewhere something is "in"
    return {k: v for k, v in found.items() if not re.search(rf"\bin\s+{re.escape(k)}\b(?![’'])", text, re.IGNORECASE)}


def _proper(word: str, text: str) -> bool:
    """A name: capitalised also inside a sentence ("..., Lukashenko said"), not only at its start
    ("Critics said")."""
    return word.lower() not in STOPWORDS and not CALENDAR.match(word) and \
        re.search(rf"[a-z,]\s+{re.escape(word)}\b", text) is not None


def _person(match: re.Match[str], sentence: str, question: str) -> bool:
    """Whether a capitalised run is a person's full name the question does not hold, with a role
    or a word of the question beside it: "Ned Price, spokesperson for the US State Department",
    "President Vladimir Putin", "Loveday Morris in Munich contributed to this report" (which
    reporter contributed); not an organisation ("Commonwealth of Independent States") nor
    "Dmitry Peskov of the Kremlin, speaking to Russian media" asked about a defence minister."""
    names = name_words_of(match.group())
    if not names or {w.lower() for w in names} <= set(words(question)):
        return False
    if match.group().split()[0].lower() == "by" or re.search(r"\bby\s+$", sentence[: match.start()], re.IGNORECASE):
        return True  # a credit: "By Benjamin Harvey" wrote the story
    around = _beside(match, sentence)
    return bool(re.search(rf"\b{ROLE}\b", f"{match.group()} {around}", re.IGNORECASE)) or \
        bool(set(focus_terms(question)) & set(terms(around)))  # "Dmitry Peskov of the Kremlin": a Kremlin official


def _beside(match: re.Match[str], text: str) -> str:
    """The ROLE_NEAR words of `text` on either side of `match`, where who a name is gets said."""
    return " ".join([*text[: match.start()].split()[-ROLE_NEAR:], *text[match.end():].split()[:ROLE_NEAR]])


SINCE_DATE = re.compile(rf"\bsince\s+(?:(?:early|late|mid)[- ])?(?:{_MONTH}\s+)?(?:19|20)\d{{2}}\b", re.IGNORECASE)


def _without_since(sentence: str, question: str) -> str:
    """`sentence` without the date a question measures from ("when did he arrive for his first visit
    since 2019": "since June 2019" is that date, not the answer); whole for "since when"."""
    asked = question.lower()
    return SINCE_DATE.sub("", sentence) if re.search(r"\bsince\b", asked) and "since when" not in asked else sentence


def counts(sentence: str) -> list[str]:
    """The numbers of a sentence that count or measure (lowercased), not its years: "in 2020."
    says when, not how many."""
    found = (w.lower().rstrip(".,") for w in COUNT.findall(sentence))
    return [w for w in found if w and not YEAR.fullmatch(w)]


VAGUE = re.compile(r"\b(?:many|numerous|multiple|a few|a number of|scores of|a handful of)\s+((?:[\w’'-]+\s+){0,2}[\w’'-]+)",
                   re.IGNORECASE)


def vague_count(sentence: str, question: str) -> bool:
    """Whether `sentence` says how many of the things counted only roughly: "They also held many
    exercises" answers "how many exercises have they held" when no number is given; "met many times"
    does not answer "how many protesters were detained"."""
    after = re.search(r"\bhow many\s+([\w’'-]+)", question, re.IGNORECASE)  # "how many exercises Minsk and ..."
    counted = category_terms(question) or set(terms(after.group(1)) if after else ())
    return any(counted & set(terms(m.group(1))) for m in VAGUE.finditer(sentence))


def type_bonus(sentence: str, kind: str, question: str) -> float:
    """How well a sentence gives the kind of thing asked for, beyond merely having one: for
    "when", a calendar date the question does not already hold (and not a year other than the
    one asked about: "first visit since 2019" does not say when the December 2022 visit was);
    for "how many", a number the question does not hold."""
    if kind == "date":
        return _date_bonus(_without_since(sentence, question), question)
    if kind == "quantity":  # a count or amount, not a year: "more than three years", not "in 2020"
        asked = set(words(question))
        return 0.1 if any(w not in asked for w in counts(sentence)) or vague_count(sentence, question) else 0.0
    if kind == "condition":
        return 0.1 if CONDITIONAL.search(sentence) else 0.0
    return 0.0


def _date_bonus(sentence: str, question: str) -> float:
    asked = question.lower()
    if "since when" in asked:  # asks for a starting point: "first visit since 2019"
        return 0.2 if re.search(r"\bsince\b", sentence) and DATE_WORDS.search(sentence) else -0.1
    if EARLIER.search(asked) and FIRST_SINCE.search(sentence):
        return FIRST_SINCE_BONUS  # news says "the last visit before" as "the first visit since June 2019"
    if FUTURE_WHEN.search(asked):  # "not until Belarus is free"
        return 0.15 if re.search(r"\b(until|once|by the time)\b", sentence) else 0.0
    found = [d for d in DAY_DATE.findall(sentence) if d.lower() not in asked]
    days = [d for d in found if not _reference_day(d, asked)]
    if len(days) < len(found):  # "Monday (19 December)": the weekday names the same reference day
        days = [d for d in days if d.lower() not in WEEKDAYS]
    if found and not days:
        return -0.1  # only the day the question measures from
    if _other_month(days, asked):
        return -0.15  # "November 30, 2020" does not say when the December meeting was
    years = set(YEAR.findall(sentence))
    asked_years = set(YEAR.findall(question))
    if asked_years and years and not years & asked_years and not days:
        if EARLIER.search(asked) and max(years) < max(asked_years):
            return 0.1  # "the previous visit before December 2022": an earlier year is the answer
        return -0.15  # a different year: another event
    if days and (ASKS_DAY.search(asked) or EARLIER.search(asked)) and not any(DAY_MONTH.search(d) for d in days):
        # "what date": a weekday alone ("starting on Monday") does not give one; nor, for "the
        # last visit before December", does it go back further than the week written about
        return 0.05
    if days:
        return 0.15
    return 0.05 if years - asked_years else 0.0


# "Which group of countries", "what weapons", "how many jets": the words that name the kind of
# answer wanted. The articles name the answer ("the Commonwealth of Independent States",
# "Iskander-M rocket systems"), rarely its category, so these words need not occur in them.
ANSWER_CATEGORY = re.compile(r"\b(?:what|which|how many|how much)\s+((?:[\w’'-]+\s+){0,2}?[\w’'-]+)"
                             r"(?=\s+(?:did|does|do|is|are|was|were|has|have|had|will|would|could|can|of)\b)", re.IGNORECASE)


# "may" and "march" are months only beside a date or a preposition: "When did protesters march?"
MONTH_NAMED = {m: rf"\b(?:in|last|next|this|early|late|mid|since|until|by|of|on)\s+{m}\b|\b{m}\s+\d|\d\s+{m}\b"
               for m in ("may", "march")}


def _other_month(days: list[str], asked: str) -> bool:
    """Whether the question names a month and the sentence's dates are all in other months (a
    question measuring back from its month, "before the December trip", wants another one)."""
    named = {m for m in MONTHS if re.search(MONTH_NAMED.get(m, rf"\b{m}\b"), asked)}
    found = {m for day in days for m in MONTHS if re.search(rf"\b{m[:3]}", day.lower())}
    return bool(named and found and not named & found and not EARLIER.search(asked))


def _reference_day(day: str, asked: str) -> bool:
    """In "the previous visit before December 2022", a day in December is the visit the
    question measures from, not the answer."""
    return bool(EARLIER.search(asked)) and any(m in day.lower() and m in asked for m in MONTHS)


def focus_terms(question: str) -> list[str]:
    """The question's content terms that say what it is about (not how it asks, nor the source
    it names: "in the Jerusalem Post article" is about where, not what)."""
    cited = set(terms(" ".join(source_words(question))))
    return [t for t in dict.fromkeys(terms(question)) if t not in ASKING and t not in cited]


def category_terms(question: str) -> set[str]:
    match = ANSWER_CATEGORY.search(question)
    return set(terms(match.group(1))) if match else set()


# -- ranking the sentences of the passages ---------------------------------------------------------

SEMANTIC_POOL = 32  # sentences re-scored by embedding similarity
CONTEXT_WEIGHT = 0.5  # a follow-up's words from the conversation, against the words typed
MEANING = 0.5  # weight of embedding similarity against the lexical score of a fact's sentence
# "What did Lukashenko thank Putin for at the St. Petersburg summit?": where and when set the
# scene, which the story gives once; the sentence answering says what was done ("I thank you
# for ..."), seldom where again. Those words count this much in a sentence's own score.
SCENE_WEIGHT = 0.5
SCENE = re.compile(r"\b(?:at|in|during)\s+(?:the\s+|a\s+|his\s+|her\s+|their\s+)?((?:[\w.’'-]+\s+){0,2}[\w’'-]+)",
                   re.IGNORECASE)


def scene_terms(question: str) -> set[str]:
    """The terms of where and when a question for what someone did sets the event ("what did
    Lukashenko thank Putin for at the St. Petersburg summit")."""
    if not re.match(r"\W*(?:(?:and|so|but)\s+)?what\s+(?:did|does|do|has|have|had)\b", question, re.IGNORECASE):
        return set()
    return {t for m in SCENE.finditer(question) for t in terms(m.group(1))}


class SentenceRanker:
    """Scores the sentences of the passages as answers to a question: the IDF-weighted share
    of the question's focus terms a sentence contains (with its passage's title and the
    sentences on either side as context: "on Monday (19 December)" and "Putin was in Minsk"
    are often neighbours), then, for the lexically best SEMANTIC_POOL, blended with embedding
    similarity to the question and a bonus for holding the kind of answer asked for."""

    def __init__(self, idf: Callable[[str], float], embed: Callable[[list[str]], np.ndarray],
                 known: Callable[[str], bool] = lambda term: True) -> None:
        self.idf, self.embed, self.known = idf, embed, known

    def rank(self, question: str, passages: list[Passage], per_article: int = 0, asked: str = "",
             said: str = "") -> list[Candidate]:
        """Best first. With `per_article`, each article's lexically best `per_article` sentences
        compete (a summary needs every article's say), instead of the best SEMANTIC_POOL overall.
        `asked`: a follow-up as typed, when `question` is it with words of the conversation appended
        ("With whose help? Lukashenko warplanes Su-25"): those words say which event, the typed ones
        what about it, so they count CONTEXT_WEIGHT as much. A name that replaced a pronoun ("Where
        was Tikhanovskaya speaking?") counts fully: it is who the question is about. `said`: the
        last answer; a follow-up wants something beyond it (`follow_on`)."""
        # An outlet's name ("per the Jerusalem Post") is the articles' metadata, not their text
        outlets = {t for p in passages for t in terms(p.chunk.outlet)}
        q_terms = [t for t in focus_terms(question) or dict.fromkeys(terms(question)) if t not in outlets or self.known(t)]
        if not q_terms:
            return []
        # only words appended after the question as typed: a name put for "she" is what was typed
        typed = set(terms(asked)) if asked and question != asked and question.startswith(asked) else set(q_terms)
        scene = scene_terms(question)
        weights = {t: self.idf(t) * (1.0 if t in typed else CONTEXT_WEIGHT) * (SCENE_WEIGHT if t in scene else 1.0)
                   for t in q_terms}
        category = ANSWER_CATEGORY.search(question)
        # nor does an outlet named as reporting ("reuters says lukashenko is heading to china"): where, not what
        reporting = {t for t in terms(" ".join(REPORTING.findall(question))) if t in outlets}
        unanchored = DATE_TERMS | reporting | (set(terms(category.group(1))) if category else set())
        # Words no passage uses ("upcoming", "besides") cannot be matched: judge() weighs them.
        anchor = {t: w for t, w in weights.items() if t not in unanchored and not t.isdigit() and self.known(t)} \
            or weights
        leads = article_leads(passages)
        variants = spelled_otherwise(set(weights), passages)
        rows = [row for n, p in enumerate(passages, start=1)
                for row in self._lexical(n, p, weights, anchor, leads.get(p.chunk.article_id, set()), variants)]
        rows = sorted(rows, key=lambda r: r.score, reverse=True)
        credit = asks_for_credit(question)
        # "Who wrote it?": the credit lines compete whatever words they share with the question
        bylines = [r for r in rows[SEMANTIC_POOL:] if credit and is_credit(r.text)]
        rows = first_per_article(rows, passages, per_article) if per_article else rows[:SEMANTIC_POOL] + bylines
        if not rows:
            return []
        sims = self.embed([question, category.group(1) if category else question, *[r.text for r in rows]])
        similarity, fits = sims[2:] @ sims[0], sims[2:] @ sims[1]
        kind = expected_type(question)
        for row, sim, fit in zip(rows, similarity, fits, strict=True):
            row.similarity = float(sim)
            if per_article:  # a summary's words are few and general: meaning and the lead count more
                row.score = 0.4 * row.score + 0.6 * float(sim) + _lead_bonus(row, passages) - is_credit(row.text)
            else:
                row.score = (1 - MEANING) * row.score + MEANING * float(sim) + type_bonus(row.text, kind, question)
                # A byline's date is when the story was filed, not when its events happened
                row.score += (CREDIT_BONUS if credit else -1.0) if is_credit(row.text) else 0.0
                # "What weapons": a sentence naming a weapon ("Iskander-M rocket systems") fits
                row.score += 0.5 * max(0.0, float(fit) - 0.15) if category else 0.0
                # "What plane": the one naming its model ("the Su-25 aircraft"), among what the question is about
                row.score += DESIGNATION_BONUS if category and row.near >= DESIGNATION_NEAR and \
                    designates(row.text, question) else 0.0
        place = article_order(passages)
        restating(rows, asked or question, place)
        if said and asked:
            follow_on(rows, said, asked, place)
        if credit:
            anchor_bylines(rows, passages, question)
        return sorted(rows, key=lambda r: r.score, reverse=True)

    def _lexical(self, number: int, passage: Passage, weights: dict[str, float],
                 anchor: dict[str, float], lead: set[str], variants: dict[str, str] | None = None) -> list[Candidate]:
        """`near`: the share of the question's anchor words (not its dates, which articles
        write as "on Monday", nor its answer category) in the sentence's neighbourhood, which
        takes in its article's `lead`: where and when a story happens is said once, at its start."""
        total, anchor_total = sum(weights.values()), sum(anchor.values()) or 1.0
        sents = [s for _, _, s in sentences(passage.chunk.text)]
        title_terms = set(terms(passage.chunk.title))
        # a sentence spelling out "Commonwealth of Independent States" holds "CIS" too, as in keyword search;
        # not two letters, which "su-25" shares with "Soviet Union"
        sent_terms = [set(terms(s)) | set(terms(" ".join(a for a in acronyms(s) if len(a) >= 3))) for s in sents]
        # a name spelled another way ("Tikhanovskaya" for the question's "Tsikhanouskaya") is the name asked about
        sent_terms = [own | {variants[t] for t in own if t in variants} for own in sent_terms] if variants else sent_terms
        rows = []
        for i, (sent, own) in enumerate(zip(sents, sent_terms, strict=True)):
            context = own | title_terms | (sent_terms[i - 1] if i else set()) | \
                (sent_terms[i + 1] if i + 1 < len(sents) else set())
            # A quote's speaker is often named two sentences before it ("..., Tikhanovskaya said.")
            wider = context.union(*sent_terms[max(0, i - 2): i], lead)
            mine = sum(w for t, w in weights.items() if t in own) / total
            near = sum(w for t, w in weights.items() if t in context) / total
            anchored = sum(w for t, w in anchor.items() if t in wider) / anchor_total
            rows.append(Candidate(number, sent, 0.75 * mine + 0.25 * near, own=mine, near=anchored, position=i))
        return rows


VARIANT_LENGTH = 6  # names this long or longer may be spelled two ways ("Zelensky", "Zelenskyy")
VARIANT_LIKENESS = 0.8  # "Tsikhanouskaya" and "Tikhanovskaya": 0.89; "Lukashenko" and "Lukashenka": 0.9


def spelled_alike(one: str, other: str) -> bool:
    """Whether two (lowercased) names may be one name transliterated two ways (`VARIANT_LIKENESS`)."""
    return difflib.SequenceMatcher(None, one, other).ratio() >= VARIANT_LIKENESS


def spelled_otherwise(asked: set[str], passages: Sequence[Passage]) -> dict[str, str]:
    """The passages' terms that spell one of the question's long terms another way, mapped to it:
    news transliterates names differently ("Sviatlana Tsikhanouskaya" in one article, "Svetlana
    Tikhanovskaya" in the next), and a question follows one spelling. Same first letter, at most
    two letters longer or shorter, and alike (`VARIANT_LIKENESS`); only terms the passages use
    for a capitalised word, so that a common word's relatives ("agreement", "agreed") stay apart."""
    long = [t for t in asked if len(t) >= VARIANT_LENGTH]
    if not long:
        return {}
    found = {t for p in passages for t in terms(" ".join(re.findall(r"\b[A-Z][\w’'-]+", p.chunk.text)))} - asked
    return {term: t for term in found for t in long if term[0] == t[0] and abs(len(term) - len(t)) <= 2
            and not _nationality_of(term, t) and spelled_alike(term, t)}


def _nationality_of(one: str, other: str) -> bool:
    """"russian" and "russia", "ukrainian" and "ukrain": a country and its people, not one name spelled two ways."""
    short, long = sorted((one, other), key=len)
    return long.startswith(short) and long[len(short):] in ("n", "an", "ian", "ese", "i", "ish", "ns", "ians")


# A model or system's designation: "Su-25", "Iskander-M", "S-400", "MiG-29", "COVID-19"
DESIGNATION = re.compile(r"\b[A-Z][A-Za-z]*-\d+[A-Za-z]*\b|\b[A-Z][a-z]+-[A-Z]\b")
DESIGNATION_BONUS = 0.25
DESIGNATION_NEAR = 0.4  # share of the question's anchor words around it: a model of the thing asked about


def designates(sentence: str, question: str) -> bool:
    """Whether `sentence` names a model or system the question does not: the answer to "what
    plane" or "which missile systems"."""
    asked = question.lower()
    return any(d.lower() not in asked for d in DESIGNATION.findall(sentence))


Place = Callable[[Candidate], tuple[str, int]]


def in_passage(row: Candidate) -> tuple[str, int]:
    return str(row.passage), row.position


def article_order(passages: list[Passage]) -> Place:
    """Where a sentence stands in its article as far as the passages retrieved show it: the
    sentence after the last one of a passage is the first of the next passage, when that one
    was retrieved too (passages are cut from one text, and may overlap)."""
    starts: dict[str, set[int]] = {}
    for p in passages:
        starts.setdefault(p.chunk.article_id, set()).update(p.chunk.start + s for s, _, _ in sentences(p.chunk.text))
    order = {(a, start): i for a, found in starts.items() for i, start in enumerate(sorted(found))}
    at = {(n, i): (p.chunk.article_id, order[(p.chunk.article_id, p.chunk.start + s)])
          for n, p in enumerate(passages, start=1) for i, (s, _, _) in enumerate(sentences(p.chunk.text))}
    return lambda row: at.get((row.passage, row.position), in_passage(row))


def restating(rows: list[Candidate], question: str, place: Place = in_passage) -> None:
    """A sentence whose every content word is in the wh-question (and most of the question's
    weight in it: not "Putin said so") says nothing the question does not: the
    answer is what follows it. "putin said it wasnt a takeover - so what did he say it was" is
    answered by "It's a matter for policy alignment", after "It is not a takeover"."""
    if not WH.search(question) or YES_NO.match(question):
        return  # "Did Putin say when he would visit?" is answered by the sentence that restates it
    asked = set(terms(question)) | ASKING  # "“Belarus shouldn’t be overlooked,” Tikhanovskaya said" says no more
    continue_after(rows, {place(r) for r in rows if r.own >= 0.5 and set(terms(r.text)) <= asked}, place)


def anchor_bylines(rows: list[Candidate], passages: list[Passage], question: str) -> None:
    """A byline ("16 December 2022 - 13:59 By Benjamin Harvey") is about its whole article, and
    shares no words with "Who wrote the TimesLIVE story about Putin's trip?": it stands among
    what the question is about (`near`) as much as its article's best sentence does, and fully
    when the question names the article's outlet (every word of the name: "the Washington Post
    story" is not The Jerusalem Post's)."""
    named = source_words(question)
    best: dict[str, float] = {}
    for row in rows:
        if not is_credit(row.text):
            article = passages[row.passage - 1].chunk.article_id
            best[article] = max(best.get(article, 0.0), row.near)
    for row in rows:
        if is_credit(row.text):
            chunk = passages[row.passage - 1].chunk
            row.near = 1.0 if named and named <= name_words(chunk.outlet) else max(row.near, best.get(chunk.article_id, 0.0))


# "And what did Lukashenko say back?", "How did Putin react to that?", "What did he say next?",
# "About what?": a follow-up wanting what the article says after the last answer
SEQUEL = re.compile(r"\b(?:say|said|reply|replied|respond|responded|react|reacted|answer|answered|retort|hit back)"
                    r"\s+(?:back|next|then|to (?:that|this|it|him|her|them))\b|"
                    r"\b(?:how|what) did \w+(?: \w+)? (?:reply|respond|react|answer)\b|"
                    r"\bwhat (?:happened|came|comes|followed) (?:next|after that|then)\b|\bthen what\b|"
                    # asking the last answer for more: "about what?", "with whose help?", "tell me more"
                    r"^\W*(?:and\s+)?(?:about|on|over|like|with|by|for|from|regarding) (?:what|whom?|whose|which)\b"
                    r"(?:\s+(?:help|else|exactly|support|backing))?\W*$|"  # not "on what date?": a new question
                    r"^\W*(?:tell me more|more|go on|details|any details|more details|what else|anything else|"
                    r"such as|for example|like)\W*$", re.IGNORECASE)
SAID, SAID_IN_OTHER_WORDS = 0.8, 0.5  # share of a sentence of the last answer's terms in the one it gave
REPEATED = -0.3  # a sentence said already (by the last answer, or the question itself): the answer is another
SEQUEL_BONUS = (0.3, 0.2, 0.1)  # the sentences right after it: "what did he say back?", "so what did he say it was"


def follow_on(rows: list[Candidate], said: str, asked: str, place: Place = in_passage) -> None:
    """Re-score `rows` for a follow-up asking what came next (SEQUEL): not the sentences the
    last answer (`said`) gave, but those that follow them in their article (a reply is reported
    after what it replies to). Other follow-ups may well be answered by the same sentence:
    "When does it start?" after "he is going to China" ("... a three-day visit to China on Tuesday")."""
    if not SEQUEL.search(asked):
        return
    given = [set(terms(s)) for _, _, s in sentences(re.sub(r"\s*\[\d+\]", "", said))]
    owns = [(r, set(terms(r.text))) for r in rows]
    told = set()
    for g in (g for g in given if len(g) >= 2):  # "He replied: “As if I could not agree”": two terms
        shares = {r.text: len(g & own) / len(g) for r, own in owns}
        best = max(shares.values(), default=0.0)
        # the sentence it quoted, or the one it put in other words (a model's answer, or one typed)
        told |= {text for text, share in shares.items() if share >= SAID or (share == best >= SAID_IN_OTHER_WORDS)}
    continue_after(rows, {place(r) for r in rows if r.text in told}, place)


def continue_after(rows: list[Candidate], given: set[tuple[str, int]], place: Place = in_passage) -> None:
    """Lower the sentences `given` (their `place`: said already) and raise the few after each,
    which stand among what the question is about by following them."""
    for row in rows:
        article, index = place(row)
        if (article, index) in given:
            row.score += REPEATED
        else:
            step = min((index - i for a, i in given if a == article and i < index), default=0)
            if 0 < step <= len(SEQUEL_BONUS):
                row.score += SEQUEL_BONUS[step - 1]
                row.near = 1.0  # anchored by what it follows, not by the question's words


def diversify(passages: list[Passage], k: int) -> list[Passage]:
    """`k` passages, each article's best before any article's second: a summary drawn from
    five articles, not five passages of one."""
    rounds: dict[str, int] = {}
    keyed = []
    for i, p in enumerate(passages):
        rounds[p.chunk.article_id] = rounds.get(p.chunk.article_id, -1) + 1
        keyed.append((rounds[p.chunk.article_id], i, p))
    return [p for _, _, p in sorted(keyed, key=lambda t: (t[0], t[1]))][:k]


LEAD_CHARS = 700  # a sentence this close to the article's start belongs to its lead


def article_leads(passages: list[Passage]) -> dict[str, set[str]]:
    """The terms of each article's lead (its sentences within LEAD_CHARS of the start), where a
    passage retrieved holds it: "Putin was in Minsk ..." sets the scene for the whole story."""
    leads: dict[str, set[str]] = {}
    for p in passages:
        for start, _, text in sentences(p.chunk.text):
            if p.chunk.start + start < LEAD_CHARS:
                leads.setdefault(p.chunk.article_id, set()).update(terms(text))
    return leads


def _lead_bonus(row: Candidate, passages: list[Passage]) -> float:
    """A news article's lead sentence is its own summary of the story."""
    return 0.1 if passages[row.passage - 1].chunk.start < LEAD_CHARS and row.position <= 1 else 0.0


def first_per_article(rows: list[Candidate], passages: list[Passage], limit: int) -> list[Candidate]:
    """`rows` in their order, keeping at most `limit` from each article."""
    taken: dict[str, int] = {}
    out = []
    for row in rows:
        article = passages[row.passage - 1].chunk.article_id
        if taken.get(article, 0) < limit:
            taken[article] = taken.get(article, 0) + 1
            out.append(row)
    return out


# -- the sources a question names ------------------------------------------------------------------

# "according to the TimesLIVE article", "in the Washington Post story", "the bloomberg piece":
# the words that name where a fact was reported, not what it is about.
SOURCE_REFERENCE = re.compile(
    r"\b(?:according to|per|in|from|by|of)\s+(?:the\s+|a\s+)?((?:[\w’'/.&-]+\s+){0,3}?)"
    r"(?:article|piece|story|report|coverage|website|site|paper|newspaper|outlet|wire|copy)\b|"
    r"\bthe\s+((?:[\w’'/.&-]+\s+){1,3}?)(?:article|piece|story|report|coverage|wire|copy)\b|"
    r"\b(?:according to|per)\s+((?:[A-Z][\w’'/.&-]*\s*){1,3})", re.IGNORECASE)


# "reuters says ...", "bloomberg reported ...": the word before a reporting verb may be an outlet
REPORTING = re.compile(r"([\w’'/.&-]+)\s+(?:says|said|reports|reported|writes|wrote)\b", re.IGNORECASE)


def source_words(question: str) -> set[str]:
    """The words of the sources a question names (lowercased), e.g. {"timeslive"} for
    "according to the timeslive article". A source's own name is metadata of the article,
    seldom in its text: no reason to think the articles are about something else."""
    found = (group for match in SOURCE_REFERENCE.finditer(question) for group in match.groups() if group)
    return {w for text in found for w in name_words(text)}


def name_words(name: str) -> set[str]:
    """The words of a name as written, lowercased: "TimesLIVE/Bloomberg" gives {"timeslive",
    "bloomberg"}, "The Jerusalem Post (Reuters)" {"the", "jerusalem", "post", "reuters"}. Both
    an outlet and the source a question names are compared in these words."""
    return {w.lower().strip("’'.-") for w in re.findall(r"[\w’'.&-]+", name)} - {""}


# -- a source sentence made fit to lead an answer --------------------------------------------------

DATELINE = re.compile(
    r"^(?:[A-Z][A-Za-z.'’-]*(?:[ ,]+[A-Z][A-Za-z.'’-]*)*,?\s+)?(?:\(?[A-Z][a-z]+\)?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?)?\s*(?:\((?:Reuters|AP|AFP)\))?\s*[—–-]+\s+"
)
LEADING = re.compile(r"^(?:Meanwhile|However|Separately|Still|Instead|Also|And|But|So|Yet|Moreover),?\s+", re.IGNORECASE)
# Clauses that turn to another point; a dash or semicolon often carries the answer itself.
CLAUSE = re.compile(r",\s+(?=(?:but|although|while|whereas)\s)")


def tidy(sentence: str, question: str) -> str:
    """The sentence without a dateline ("VALDMERE, March 14, 2023 — "), a leading connective
    ("Meanwhile, ") or clauses about something else. Words are never changed, only dropped,
    so the claim stays a checkable part of its source sentence."""
    text = _strip_lead(sentence)
    clauses = CLAUSE.split(text)
    if len(clauses) > 1:
        text = _keep_clauses(clauses, question)
    return text[:1].upper() + text[1:]


def _strip_lead(sentence: str) -> str:
    match = DATELINE.match(sentence)
    if match and len(sentence) - match.end() > 40 and DATE_WORDS.search(match.group()) or \
            match and re.search(r"[A-Z]{3,}|\((?:Reuters|AP|AFP)\)", match.group()):
        sentence = sentence[match.end():]
    return LEADING.sub("", sentence)


def _keep_clauses(clauses: list[str], question: str) -> str:
    """The first clause, unless a later one holds the question's words and the first does
    not; later clauses only when they hold question words too."""
    asked = set(focus_terms(question))
    kind = expected_type(question)
    cover = [len(asked & set(terms(c))) for c in clauses]
    useful = [n > 0 and 2 * n >= max(cover) or (kind != "any" and type_bonus(c, kind, question) > 0)
              for c, n in zip(clauses, cover, strict=True)]
    if not any(useful):
        return clauses[0] + _end(clauses[-1])
    first = useful.index(True)
    lead = re.sub(r"^(?:but|although|while|whereas)\s+", "", clauses[first]) if first else clauses[first]
    if first and not re.match(r"(?:the|a|an|he|she|they|it|this|that|[A-Z])", lead):
        lead, first = clauses[0], 0  # a later clause that cannot stand on its own
    kept = [lead] + [c for c, ok in zip(clauses[first + 1:], useful[first + 1:], strict=True) if ok]
    return ", ".join(k.rstrip(".!?") for k in kept) + _end(clauses[-1])


def _end(last: str) -> str:
    match = re.search(r"[.!?]+[\"”’')]*$", last)
    return match.group() if match and not re.search(r"[\"”’')]", match.group()) else "."
