"""What a user's message asks to DO with a risky topic: protect, understand, or get it done.

Why: "怎么识别赌博网站，我想提醒我爸" and "推荐几个靠谱的博彩网站" share the topic's words;
what tells them apart is the ask around them. The request heads read the topic from
n-grams, which one writer's phrasing dominates; these marks name the ask in words every
writer uses, so the heads can learn, across writers, that a protective or curious ask
lowers the odds of a harmful request and a make-or-get ask raises them. They never make a
finding alone: the reply heads read them as features ("教我怎么识别骗子" carries both, and
the heads weigh them against the topic), and :func:`asks_to_protect_or_learn` only lowers
what the user-side detectors found to medium.

The cue lists are written by the project from ordinary usage (no dataset text).
"""

from __future__ import annotations

import re

from companion_guard.detectors.normalize import Normalized

#: Spotting, avoiding, warning, reporting, getting out: the ask of someone on the safe side.
_PROTECT = re.compile(
    r"(?:识别|辨别|分辨|鉴别|看穿|防范|防骗|防止|预防|避免|避开|远离|提防|小心|警惕|提醒|告诫|劝[他她我]?|"
    r"劝说|戒掉|戒赌|戒毒|戒不掉|举报|报警|报案|投诉|维权|追回|挽回|自救|逃生|求助|保护|上当|被骗|受骗|骗了|"
    r"是不是骗|是骗局|是不是诈骗|是诈骗吗|是不是传销|靠谱吗|可信吗|是真的吗|是谣言吗|辟谣|"
    r"\bspot\b|recogni[sz]e|\bavoid\b|\bwarn\b|report (?:it|this|a|him|her|them)|protect|stay safe|"
    r"is (?:this|it) a scam|get (?:him|her|them|out)|scammed|quit|recover)"
)
#: Why, what, how it works, what the law says: the ask of someone who wants to understand.
_LEARN = re.compile(
    r"(?:为什么|为啥|是什么|什么是|什么意思|怎么回事|历史|由来|起源|原因|区别|危害|后果|影响|"
    r"违法吗|犯法吗|合法吗|判几年|判多久|怎么判|量刑|法律规定|科普|讲讲|介绍一下|了解一下|"
    r"\bwhy\b|what (?:is|are|was|were|does)|history|explain|is it (?:legal|illegal)|consequences|sentence for)"
)
#: Write it, teach it, give it, where to get it, how to not get caught: the ask of someone who wants it done.
_MAKE = re.compile(
    r"(?:帮我写|帮我编|帮我做|帮我弄|帮我找|给我写|给我编|给我来|写一[段篇个份条]|编一[段篇个份条]|教我|教教我|"
    r"怎么做出|怎么制作|怎么制造|怎么配|配方|详细步骤|具体步骤|具体方法|具体怎么|手把手|"
    r"哪里买|哪儿买|在哪买|去哪买|哪里能买|怎么买到|怎么弄到|怎么搞到|渠道|货源|门路|代购|推荐几个|推荐个|"
    r"怎么黑|黑进|破解|盗号|绕过|不被发现|不被抓|不留痕迹|躲过|逃过|逃避|"
    r"write (?:me|a|an)|help me (?:write|make|get|find)|teach me|step[- ]by[- ]step|where (?:can|do) i (?:buy|get)|"
    r"how (?:to|do i|can i) (?:make|build|buy|get|hack|bypass)|without (?:getting caught|being caught|anyone knowing))"
)


def request_intent(norm: Normalized) -> list[str]:
    """The ``intent|…`` feature tokens of a user's message (empty for most messages)."""
    low = norm.embed_text.lower()
    return [
        tag
        for tag, pattern in (("intent|protect", _PROTECT), ("intent|learn", _LEARN), ("intent|make", _MAKE))
        if pattern.search(low)
    ]


def asks_to_protect_or_learn(norm: Normalized) -> bool:
    """A message that asks to spot, avoid, report or understand, and not to make or get anything.

    Such a message is at most medium for the prohibited-content detectors on the user's side (the
    companion is steered to answer safely; the gateway does not refuse the question), whatever its topic's
    words: "我爸沉迷网赌，怎么识别赌博网站，我想提醒他" is asked by the person who wants him out.
    """
    marks = request_intent(norm)
    return "intent|make" not in marks and ("intent|protect" in marks or "intent|learn" in marks)


__all__ = ["asks_to_protect_or_learn", "request_intent"]
