"""What a line of an assessment says: a risk level, a field, a count, hours, limits, claims.

Risk levels are read on a *scale*: the labels teams use (``CRITICAL``,
``Very low``, ``Low-Medium``, ``高``, 🔴 ...) mapped to the rubric's levels by
data (``scale`` in the rubric; :data:`DEFAULT_SCALE` when a rubric has none).
Priority labels (``P0``-``P3``, ``Critical priority``) are a level only where
the text says it is rating risk (a risk heading, field or column); elsewhere
they are a priority.

Examples
--------
>>> scale = Scale.from_mapping(DEFAULT_SCALE)
>>> scale.level("Critical"), scale.level("低"), scale.level("High availability")
('HIGH', 'LOW', None)
>>> scale.heading_level("🟢 LOW RISK (開発環境のみ - 22タスク選定)")
('LOW', 'LOW')
>>> scale.field("**Risk**: Medium")
('risk', 'Medium')
>>> hours_in("Phase 4 (30分 - 6タスク)"), count_in("Phase 4 (30分 - 6タスク)")
(0.5, 6)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from analysis.vocabulary import LEVELS, level_rank

__all__ = [
    "DEFAULT_SCALE",
    "FIELDS",
    "LETTERS",
    "LEVEL_EMOJI",
    "RATINGS",
    "RISK_WORDS",
    "Scale",
    "settle",
    "normal",
    "count_in",
    "hours_in",
    "limits_in",
    "claims_in",
    "priority_in",
    "lead_in",
    "without_count",
    "status_in",
]

#: Labels of other scales, for rubrics that give none: the bundled rubric's own
#: (``scale`` in analysis/data/rubric.yaml; a test keeps the two the same).
DEFAULT_SCALE: Mapping[str, tuple[str, ...]] = {
    "LOW": (
        "low", "very low", "minimal", "negligible", "minor", "trivial", "info",
        "informational", "none", "sev4", "sev5", "低", "極低", "軽微", "小", "🟢", "🔵",
    ),
    "MEDIUM": (
        "medium", "med", "moderate", "low-medium", "medium-low", "low to medium", "sev3",
        "中", "中程度", "🟡",
    ),
    "HIGH": (
        "high", "critical", "very high", "severe", "major", "medium-high", "high-medium",
        "blocker", "sev0", "sev1", "sev2", "高", "極高", "重大", "致命的", "大", "🔴", "🟠",
    ),
}  # fmt: skip
#: One-letter levels (``H`` / ``M`` / ``L``), read only where the text rates risk (a
#: risk field or column): elsewhere a letter is a letter.
LETTERS: Mapping[str, str] = {"h": "HIGH", "m": "MEDIUM", "l": "LOW"}
#: The fields that rate a task: ``risk`` (an overall rating), ``impact`` (the level when
#: the document rates nothing else) and ``likelihood`` (only beside an impact).
RATINGS = ("risk", "impact", "likelihood")
LEVEL_EMOJI = ("🟢", "🟡", "🟠", "🔴", "🔵", "⚪", "⚫", "🟣", "🟤")

#: Field names, by what the field states (matched whole, case-insensitively).
FIELDS: Mapping[str, tuple[str, ...]] = {
    "risk": (
        "risk",
        "risk level",
        "risk rating",
        "risks",
        "level",
        "リスク",
        "リスクレベル",
        "severity",
        "危険度",
        "重要度",
        "risk (impact)",
    ),
    "impact": (
        "impact",
        "production impact",
        "business impact",
        "影響度",
        "影響",
        "本番影響",
        "本番影響度",
    ),
    "likelihood": (
        "likelihood",
        "probability",
        "発生確率",
        "発生可能性",
        "発生頻度",
    ),
    "priority": ("priority", "優先度", "優先順位", "prio"),
    "effort": (
        "effort",
        "estimate",
        "est",
        "est.",
        "estimated effort",
        "time",
        "duration",
        "hours",
        "工数",
        "見積",
        "見積もり",
        "所要時間",
        "時間",
        "作業時間",
    ),
    "environment": ("environment", "env", "target", "環境", "対象環境", "where"),
    "status": ("status", "state", "状態", "状況", "ステータス"),
    "issue": ("issue", "ticket", "イシュー", "チケット"),
    "id": ("id", "task id", "#", "no", "no."),
    "title": (
        "task",
        "title",
        "item",
        "work",
        "change",
        "action",
        "step",
        "name",
        "description",
        "タスク",
        "作業",
        "項目",
        "内容",
        "作業内容",
        "タスク名",
        "変更",
    ),
    "rollback": ("rollback", "rollback plan", "ロールバック", "切り戻し", "revert"),
    "approval": ("approval", "approver", "承認"),
    "verification": ("verification", "validation", "検証", "確認"),
    "monitoring": ("monitoring", "監視"),
    "documentation": ("documentation", "docs", "runbook", "手順書", "ドキュメント"),
}

#: Words that say a heading, field or column rates risk.
RISK_WORDS = re.compile(r"\b(?:risk|risks|impact|severity)\b|リスク|影響度|影響大|危険度", re.I)
_PRIORITY_LABEL = re.compile(r"^p([0-9])$|^(.+?)\s+priority$|^優先度\s*[:：]?\s*(.+)$", re.I)
_COUNT = re.compile(r"(\d{1,6})\s*(?:タスク|件|項目|tasks?\b|items?\b)", re.I)
_HOURS = re.compile(
    r"(\d{1,5}(?:\.\d{1,3})?)\s*(時間|hours?\b|hrs?\b|h\b|分|minutes?\b|mins?\b|m\b)", re.I
)
# "[HIGH] ...", "【高】...", "HIGH: ...", "Very low - ...": a label of one or two words, then a mark
_LEADING = re.compile(
    r"^(?:[\[【]([^\]】]{1,24})[\]】]|\*{0,2}([^\s:：|*]{1,12}(?:[ -][^\s:：|*]{1,12})?)\*{0,2}"
    r"\s*[:：|–—])\s*(.+)$"
)
# the name of a field at the end of a line, after "(", "[", a dash, "|" or ","
_TAIL = 80  # how much of a line's end a trailing level may take
_TRAILING_NAME = re.compile(
    r"(\s*[(（\[—–|,、/／·・]\s*|\s+-\s+)(?:\*\*)?([^(（\[—–|,、/／·・]{1,20}?)(?:\*\*)?\s*$"
)
# a field name after a plain space ("バックアップ確認 リスク：低") must say it rates something
_RATING_NAME = re.compile(
    r"risk|impact|severity|likelihood|probability|リスク|影響|確率|危険度", re.I
)
# a level in brackets ending a line: "... [HIGH]", "... (低リスク)", "... 【高】"
_TRAILING_BRACKET = re.compile(r"\s*[\[【(（]\s*([^\[\]【】()（）]{1,24}?)\s*[\]】)）]\s*$")
# the labels a bracket at the end of a line may hold alone: a bracketed "(major)" or
# "(none)" is a qualifier of the title, "(high)" or "(高)" a level
_BRACKET_LABELS = frozenset(
    ("low", "medium", "high", "critical", "very low", "very high", "低", "中", "高")
)
# emoji (and the marks that go with them) at the end of a line: "Upgrade nginx 🟡", "... ✅ 🔴"
_TRAILING_EMOJI = re.compile(r"(?:\s*+[\u2600-\u27bf\U0001f300-\U0001faff\ufe0f\u200d])++\s*+$")
_PRIORITY = re.compile(r"(?<![A-Za-z0-9])P([0-9])(?![0-9])")
_FIELD = re.compile(r"^[\-*・]?\s*([^:：|]{1,40}?)\s*[:：]\s*(.*)$")
_BUDGET = (
    re.compile(r"(\d{1,5}(?:\.\d{1,3})?)\s*(時間|h|hours?)\s*(?:以内|まで|未満|以下)", re.I),
    re.compile(
        r"(?:within|under|at most|no more than|max(?:imum)?|up to"
        r"|time[- ]?box(?:ed)?(?:\s+(?:of|to|at))?|budget(?:\s+of)?)"
        r"\s*[:：]?\s*(\d{1,5}(?:\.\d{1,3})?)\s*(h|hours?)\b",
        re.I,
    ),
    re.compile(r"(\d{1,5}(?:\.\d{1,3})?)\s*(h|hours?)\s+or\s+\d{1,6}\s*tasks?", re.I),
)
_CAP = (
    re.compile(r"(\d{1,6})\s*(?:タスク|件)\s*(?:以内|まで|完了|以下)"),
    re.compile(
        r"(?:at most|no more than|max(?:imum)?(?:\s+of)?|up to|cap(?:ped)?\s+at|limit(?:ed)?\s+to)"
        r"\s*(\d{1,6})\s*(?:tasks?|items?|changes?)\b",
        re.I,
    ),
    re.compile(r"\bor\s+(\d{1,6})\s*tasks?\b", re.I),
    re.compile(r"(?:または|もしくは|か)\s*(\d{1,6})\s*(?:タスク|件)"),
)
_SAFE = (
    re.compile(
        r"(\d{1,6})\s*(?:タスク|件)?\s*中\s*(\d{1,6})\s*(?:タスク|件)?.{0,12}"
        r"(?:安全|本番影響なし|影響なし)"
    ),
    re.compile(r"安全.{0,12}?(\d{1,6})\s*/\s*(\d{1,6})"),
    re.compile(
        r"(\d{1,6})\s*(?:/|of|out of)\s*(\d{1,6})\s*(?:tasks?|items?|changes?)?\s*"
        r"(?:are|is)?\s*(?:safe|low[- ]risk)",
        re.I,
    ),
)
_EFFORT_SUM = re.compile(
    r"(?:total\s+effort|effort\s+total|estimated\s+total|total\s+estimate|total\s+time"
    r"|合計工数|総工数|工数合計|所要時間|合計時間|総作業時間)"
    r"\s*[:：]?\s*(?:~|約)?\s*(\d{1,6}(?:\.\d{1,3})?)\s*(h|hours?|時間)",
    re.I,
)


def normal(text: str) -> str:
    """NFKC, lower case, one space between words, no emphasis or bracket marks at the ends."""
    text = unicodedata.normalize("NFKC", text).lower().replace("*", "").replace("_", " ")
    return re.sub(r"\s+", " ", text).strip(" []【】「」:：-–—|")


def _strip_counts(text: str) -> str:
    text = re.sub(r"[(（][^()（）]*[)）]", " ", text)
    return text


@dataclass(frozen=True)
class Scale:
    """Labels mapped to levels, and the priority labels read as levels in a risk context."""

    labels: Mapping[str, str]
    priorities: Mapping[str, str]

    @classmethod
    def from_mapping(
        cls, scale: Mapping[str, tuple[str, ...]], priorities: Mapping[str, str] | None = None
    ) -> Scale:
        labels = {normal(level): level for level in LEVELS}
        for level, words in scale.items():
            for word in words:
                labels[normal(word)] = level
        return cls(labels, dict(priorities or {"p0": "HIGH", "p1": "HIGH", "p2": "MEDIUM"}))

    def level(self, label: str, *, risk_context: bool = False) -> str | None:
        """The level a whole label names (``High risk``, ``SEV-2`` too), or None.

        In a risk context (a risk field or column) one letter names a level too
        (``H``), and so does a priority (``P1``).
        """
        text = normal(label)
        text = re.sub(r"\s*(?:risk|リスク|level|レベル)$", "", text).strip()
        text = re.sub(r"^sev(?:erity)?[\s-]*(\d)$", r"sev\1", text)
        if text in self.labels:
            return self.labels[text]
        if risk_context and text in LETTERS:
            return LETTERS[text]
        if risk_context:
            match = _PRIORITY_LABEL.match(text)
            if match and match.group(1) is not None:
                return self.priorities.get(f"p{match.group(1)}", "LOW")
            if match and match.group(2):
                return self.labels.get(normal(match.group(2)))
        return None

    def leading(self, text: str) -> tuple[str, str, str] | None:
        """A level at the start of a line, ``🔴``, ``[HIGH]`` or ``HIGH:``: (level, label, rest)."""
        stripped = text.lstrip()
        for emoji in LEVEL_EMOJI:
            if stripped.startswith(emoji):
                level = self.labels.get(emoji)
                if level:
                    return level, emoji, stripped[len(emoji) :].lstrip(" :：-–—|")
        match = _LEADING.match(stripped)
        if match:
            label = match.group(1) or match.group(2)
            level = self.level(label)
            if level:
                return level, label.strip(), match.group(3).strip()
        return None

    def trailing(self, text: str) -> tuple[str, str, str] | None:
        """A level ending a task line: (level, label, title).

        ``... (Risk: High)``, ``... — risk: low``, ``... リスク：中``, ``... 🔴``,
        ``... [HIGH]``, ``... — Impact: High / Likelihood: Low`` (the pair as
        :func:`settle` reads it). Only the line's last characters are looked at
        (a field name and a label are short), so a long line costs no more than
        reading it.
        """
        body = text.rstrip()
        tail = body[-_TAIL:]
        emoji = _TRAILING_EMOJI.search(tail)
        if emoji:
            head = body[: len(body) - len(tail) + emoji.start()].strip()
            found = [e for e in LEVEL_EMOJI if e in emoji.group() and e in self.labels]
            if head and len(found) == 1:
                return self.labels[found[0]], found[0], head
        bracket = _TRAILING_BRACKET.search(tail)
        if bracket:
            label = bracket.group(1).strip()
            words = normal(label)
            core = re.sub(r"\s*(?:risk|リスク)$", "", words).strip()
            level = self.level(label) if core in _BRACKET_LABELS or core != words else None
            head = body[: len(body) - len(tail) + bracket.start()].strip()
            if level and head:
                return level, label, head
        ratings: dict[str, tuple[str, str, str]] = {}
        rest = body
        for _ in range(len(RATINGS)):
            found_field = self._trailing_field(rest)
            if found_field is None:
                break
            kind, rated, rest = found_field
            ratings.setdefault(kind, rated)
        settled = settle(ratings)
        if settled and rest:
            return settled[0], settled[1], rest
        return None

    def _trailing_field(self, body: str) -> tuple[str, tuple[str, str, str], str] | None:
        """The rating field ending a line: (kind, (level, value, name), the text before it)."""
        tail = body[-_TAIL:]
        colon = max(tail.rfind(":"), tail.rfind("："))
        if colon <= 0:
            return None
        value = tail[colon + 1 :].strip().rstrip(")）]").strip().strip("*").strip()
        if not value or len(value) > 24:
            return None
        head = tail[:colon]
        candidates = []
        before = _TRAILING_NAME.search(head)
        if before is not None:
            candidates.append((before.group(2), before.start()))
        for words in (3, 2, 1):  # "... リスク：低", "... Risk level: High"
            spaced = re.search(rf"\s+((?:\S+\s+){{{words - 1}}}\S+)\s*$", head)
            if spaced and _RATING_NAME.search(spaced.group(1)):
                candidates.append((spaced.group(1), spaced.start()))
        for name, start in candidates:
            kind = self.field_kind(name)
            if kind not in RATINGS:
                continue
            level = self.level(value, risk_context=True)
            title = body[: len(body) - len(tail) + start].strip()
            if level and title:
                return kind, (level, value, name.strip().strip("*").strip()), title
        return None

    def heading_level(self, text: str) -> tuple[str, str] | None:
        """The level a heading or bold line introduces, with its label; None when it names none."""
        stripped = text.strip()
        for emoji in LEVEL_EMOJI:
            if stripped.startswith(emoji) and emoji in self.labels:
                rest = _strip_counts(stripped[len(emoji) :])
                words = normal(re.sub(r"\b(?:risk|tasks?)\b|リスク|タスク", " ", rest, flags=re.I))
                named = self.level(words) if words else None
                return (named or self.labels[emoji]), (words.upper() if named else emoji)
        field = self.field(stripped)
        if field and field[0] in ("risk", "impact"):
            level = self.level(field[1], risk_context=True)
            return (level, field[1].strip()) if level else None
        plain = _strip_counts(stripped)
        plain = re.sub(r"\d+\s*(?:タスク|tasks?)", " ", plain, flags=re.I)
        has_risk = bool(RISK_WORDS.search(plain))
        core = normal(
            re.sub(r"(?i)\b(?:risk|risks|level|tasks?|items?)\b|リスク|タスク", " ", plain)
        )
        core = re.sub(r"^(?:level|レベル)\s*", "", core).strip(" :：-–—")
        level = self.level(core, risk_context=has_risk)
        if level and (has_risk or core == normal(level) or core in self.labels):
            bare = core in ("high", "low", "medium") and not plain.strip().isupper()
            if not has_risk and bare and len(plain.split()) > 1:
                return None  # "High" alone is a level heading; "High availability" is not
            written = re.sub(
                r"(?i)\b(?:risk|risks|level|tasks?|items?)\b|リスク|タスク", " ", plain
            )
            written = re.sub(r"\s+", " ", written).strip(" []【】「」:：-–—|*_")
            if normal(written) != core:
                written = core
            return level, written
        return None

    def field_kind(self, name: str) -> str | None:
        key = normal(name)
        for kind, names in FIELDS.items():
            if key in names:
                return kind
        return None

    def field(self, text: str) -> tuple[str, str] | None:
        """A ``Name: value`` line whose name is a known field: (kind, value)."""
        found = self.named_field(text)
        return found[:2] if found else None

    def named_field(self, text: str) -> tuple[str, str, str] | None:
        """A ``Name: value`` line whose name is a known field: (kind, value, name)."""
        match = _FIELD.match(text.strip())
        if not match:
            return None
        kind = self.field_kind(match.group(1))
        return (kind, match.group(2).strip(), match.group(1).strip()) if kind else None


def settle(ratings: Mapping[str, tuple[str, str, str]]) -> tuple[str, str] | None:
    """The level and label a task's rating fields give, by kind: (level, value, name).

    An overall ``risk`` rating stands alone. Else ``impact`` is the level, and
    beside a ``likelihood`` the higher of the two: without the document's own
    matrix, the safe reading (a 3x3 matrix never rates a pair above its higher
    half). A likelihood alone rates nothing.

    >>> settle({"impact": ("HIGH", "High", "Impact"), "likelihood": ("LOW", "Low", "Likelihood")})
    ('HIGH', 'Impact High / Likelihood Low')
    """
    if "risk" in ratings:
        return ratings["risk"][:2]
    if "impact" not in ratings:
        return None
    impact = ratings["impact"]
    if "likelihood" not in ratings:
        return impact[:2]
    likely = ratings["likelihood"]
    level = max(impact[0], likely[0], key=level_rank)
    return level, f"{impact[2]} {impact[1]} / {likely[2]} {likely[1]}"


def count_in(text: str) -> int | None:
    match = _COUNT.search(text)
    return int(match.group(1)) if match else None


def hours_in(text: str) -> float | None:
    """Hours a text states (``1時間``, ``30分``, ``1.5h``, ``90 minutes``), summed; None if none."""
    total = None
    for number, unit in _HOURS.findall(text):
        minutes = unit in ("分",) or unit.lower().startswith("min") or unit.lower() == "m"
        total = (total or 0.0) + float(number) / (60 if minutes else 1)
    return total


def priority_in(text: str) -> str | None:
    match = _PRIORITY.search(unicodedata.normalize("NFKC", text))
    if match:
        return f"P{match.group(1)}"
    digit = re.fullmatch(
        r"\s*(?:優先度\s*[:：]?\s*)?([0-9])\s*", unicodedata.normalize("NFKC", text)
    )
    if digit:
        return f"P{digit.group(1)}"
    words = normal(text)
    named = {"critical": "P0", "urgent": "P0", "high": "P1", "medium": "P2", "low": "P3"}
    for word, priority in named.items():
        if re.search(rf"\b{word}\s+priority\b|\bpriority\s*[:：]?\s*{word}\b", words):
            return priority
    return None


def limits_in(text: str) -> dict[str, float]:
    """A time box and a task cap a sentence states (``4時間以内または30タスク``)."""
    found: dict[str, float] = {}
    plain = unicodedata.normalize("NFKC", text)
    for pattern in _BUDGET:
        match = pattern.search(plain)
        if match:
            number, unit = match.group(1), match.group(2)
            found["budget_hours"] = float(number)
            del unit
            break
    for pattern in _CAP:
        match = pattern.search(plain)
        if match:
            found["task_cap"] = int(match.group(1))
            break
    return found


def claims_in(text: str) -> dict[str, float]:
    """Claims a sentence makes: tasks safe of a total, a sum of effort."""
    plain = unicodedata.normalize("NFKC", text)
    found: dict[str, float] = {}
    for index, pattern in enumerate(_SAFE):
        match = pattern.search(plain)
        if match:
            a, b = int(match.group(1)), int(match.group(2))
            safe, total = (b, a) if index == 0 else (a, b)
            found["safe"], found["safe_of"] = safe, total
            break
    effort = _EFFORT_SUM.search(plain)
    if effort:
        found["effort_hours"] = float(effort.group(1))
    return found


_DONE = ("done", "complete", "completed", "closed", "finished", "完了", "済", "済み", "✅")
_IN_PROGRESS = ("in progress", "in-progress", "wip", "ongoing", "進行中", "対応中", "作業中")
_SENTENCE_START = re.compile(
    r"^(?:the|these|this|those|each|every|for|we|our|below|following|here|run|do)\b"
    r"|^(?:以下|次の|下記|これ|この)",
    re.I,
)
_SENTENCE_END = re.compile(r"(?:る|す|た|い|です|ます|とおり|通り)\s*[:：]$")


def lead_in(text: str) -> bool:
    """A sentence ending in a colon (``The steps below run in order, one at a time:``).

    Such a line introduces what follows; a label (``Networking:``, ``Changes since v1:``,
    ``下書き（対象外）:``) names it and groups it. A sentence has a comma outside
    parentheses, more than six words, or opens or ends as sentences do.
    """
    plain = re.sub(r"[(（][^()（）]*[)）]", " ", text)
    return bool(
        re.search(r"[,、。;；]", plain)
        or len(plain.split()) > 6
        or _SENTENCE_START.match(plain.strip())
        or _SENTENCE_END.search(plain)
    )


def without_count(text: str) -> str:
    """An issue's title without a trailing count note (``Mesh (3 tasks)`` -> ``Mesh``)."""
    note = re.search(r"\s*[(（]([^()（）]*)[)）]\s*$", text)
    if note and count_in(note.group(1)) is not None:
        text = text[: note.start()]
    return text.strip()


def status_in(value: str, current: str) -> str:
    """The status a status field's ``value`` states, else ``current``."""
    text = normal(value)
    if any(word in text for word in _DONE):
        return "done"
    if any(word in text for word in _IN_PROGRESS):
        return "in_progress"
    if "cancel" in text or "中止" in text:
        return "cancelled"
    if "block" in text or "ブロック" in text:
        return "blocked"
    return current
