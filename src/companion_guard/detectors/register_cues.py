"""Marks of the spam-post register — contact handles, site addresses, pay rates, disguised spelling.

Why: black-market, gambling, fraud and sex-service ads are short platform posts whose
words change weekly (a new site, a new nickname for WeChat), but whose shape does not:
a contact to add, an address to visit, a pay or odds figure, characters broken up so a
filter misses them. These marks are features for the prohibited-content heads, never a
finding alone: a real job post or a friend's "加我微信" carries some of them too, and
the heads learn from the writers' hard negatives how far each one counts.
"""

from __future__ import annotations

import re
import unicodedata

from companion_guard.detectors.normalize import Normalized

#: Words for the messaging apps and contacts ads send people to, with their usual disguises.
_CONTACT_APP = (
    r"(?:微信|薇信|威信|维信|徽信|微\s*信|v\s*信|wei\s*xin|vx|wx|v\+|绿泡泡|绿色泡泡|企鹅|扣扣|qq|q群|"
    r"tg|telegram|电报|飞机号?|纸飞机|whatsapp|line|skype|kik|snap(?:chat)?|discord|私信|主页)"
)
#: A contact app followed by something that looks like a handle or number.
_HANDLE = re.compile(_CONTACT_APP + r"\s*(?:号|号码|id)?\s*[:：=]?\s*[a-z0-9_\-]{5,}")
#: "Add me", "message me", "details in private" and their disguises.
_SOLICIT = re.compile(
    r"(?:加我|加v|加微|加q|加群|进群|私我|私聊|私信我|滴滴我|戳我|找我|联系我|详聊|细聊|咨询我|扫码|看主页|主页联系|"
    r"\bdm me\b|\bpm me\b|\bhmu\b|\btext me\b|add me|message me|link in bio)"
)
#: A web address: a name, a dot, a top-level domain (ads invent the names; the endings recur).
_DOMAIN = re.compile(
    r"\b[a-z0-9][a-z0-9\-]{1,30}\s*[.。·]\s*(?:com|net|org|cn|top|vip|cc|xyz|me|us|io|app|club|site|shop|"
    r"live|fun|win|bet|info|biz|tk|ml|ga|pro|ltd|icu|asia|tv|la|co|in|ink|work|online|store|one|life)\b"
)
#: A pay or odds figure: "一小时600", "5元一条", "日结", "1比1.5", "月入过万".
_NUM = r"[0-9一二两三四五六七八九十百千万几]+"
_RATE = re.compile(
    r"(?:(?:每|一|1)\s*(?:小时|天|单|条|日|晚|次)\s*"
    + _NUM
    + r"|"
    + _NUM
    + r"\s*(?:元|块|r|rmb|米)\s*(?:一|每|/)\s*"
    r"(?:条|单|天|小时|次|个)|日结|现结|秒结|当天结|日入|月入|稳赚|保底|佣金|返利|返现|提现|"
    r"[0-9.]+\s*比\s*[0-9.]+|\d+\s*%\s*(?:返|回报|收益))"
)
#: Six or more digits in a row (a QQ number, a phone number, a code), dates excluded by the caller.
_DIGITS = re.compile(r"(?<![0-9])[0-9]{6,}(?![0-9])")
_DATE = re.compile(r"(?:19|20)[0-9]{2}[01][0-9][0-3][0-9]")
#: Punctuation that ordinary sentences put between Chinese characters (not a disguise).
_PLAIN_PUNCT = frozenset("，。、；：！？…—·「」『』（）《》“”‘’,.;:!?()\"'-~～")


def _disguise_marks(original: str) -> int:
    """Marks that break a word up for a filter: combining marks, symbols and emoji between CJK characters."""
    n = 0
    prev_cjk = False
    for i, ch in enumerate(original):
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Me", "Cf") or (cat in ("So", "Sk", "Po") and prev_cjk and ch not in _PLAIN_PUNCT):
            nxt = original[i + 1] if i + 1 < len(original) else ""
            if nxt and "\u4e00" <= nxt <= "\u9fff":
                n += 1
        prev_cjk = "\u4e00" <= ch <= "\u9fff" or (prev_cjk and cat in ("Mn", "Me", "Cf"))
    return n


def register_cues(norm: Normalized) -> list[str]:
    """The ``reg|…`` feature tokens of a text (empty for most ordinary text)."""
    low = norm.embed_text.lower()
    out: list[str] = []
    if _HANDLE.search(low):
        out.append("reg|handle")
    if _SOLICIT.search(low):
        out.append("reg|solicit")
    if _DOMAIN.search(low):
        out.append("reg|domain")
    if _RATE.search(low):
        out.append("reg|rate")
    if any(not _DATE.fullmatch(d) for d in _DIGITS.findall(low)):
        out.append("reg|digits")
    marks = _disguise_marks(norm.original)
    if marks >= 2:
        out.append("reg|disguised")
    if marks >= 5:
        out.append("reg|disguised_many")
    if len(out) >= 2:
        out.append("reg|ad_shape")
    return out
