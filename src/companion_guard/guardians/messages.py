"""User-visible texts of this subpackage, Chinese first, English second.

Kept in one place so a translator (or a provider) finds every sentence a minor,
guardian or elderly user may see. Templates use ``str.format`` fields.
"""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "consent.required": {
        "zh": "你还未满14周岁，需要监护人同意后才能使用陪伴服务。请让爸爸妈妈或其他监护人用邀请码完成授权。"
        "在此之前，我们不会保存你的聊天内容。",
        "en": "You are under 14, so a parent or guardian needs to agree before you can use the companion. "
        "Please ask them to confirm with the invitation code. Until then we keep none of your messages.",
    },
    "block.persona": {
        "zh": "这个角色是「{relationship}」类型的虚拟亲密关系，未成年人暂时不能使用。"
        "这不是你的错，是为了保护你。你可以试试这些角色：{alternatives}。",
        "en": "This character plays a virtual {relationship}, which is not available to users under 18. "
        "That is to keep you safe, not because you did anything wrong. You could try: {alternatives}.",
    },
    "block.persona.guardian": {
        "zh": "你的监护人关闭了这个角色。你可以试试这些角色：{alternatives}。",
        "en": "Your guardian has turned this character off. You could try: {alternatives}.",
    },
    "block.persona.not_allowed": {
        "zh": "未成年人模式下只能使用允许的角色。你可以试试这些角色：{alternatives}。",
        "en": "In minor mode only allowed characters can be used. You could try: {alternatives}.",
    },
    "block.persona.age_unconfirmed": {
        "zh": "使用这个角色前需要先确认你的年龄。你可以先试试这些角色：{alternatives}。",
        "en": "Please confirm your age before using this character. Meanwhile you could try: {alternatives}.",
    },
    "no_alternatives": {"zh": "朋友或老师类的角色", "en": "a friend or mentor character"},
    "reply.replaced": {
        "zh": "我们换个话题吧。我是你的AI朋友，可以陪你聊学习、兴趣和生活里的事情。今天有什么开心或者烦心的事吗？",
        "en": "Let's talk about something else. I'm your AI friend: we can chat about school, hobbies "
        "and everyday life. Anything fun or annoying happen today?",
    },
    "reminder.reality": {
        "zh": "你已经连续聊了{minutes}分钟了。我是AI，不是真人。起来活动一下，看看窗外，和身边的家人朋友说说话吧。",
        "en": "You have been chatting for {minutes} minutes. I am an AI, not a real person. "
        "Take a break, look outside and talk to the people around you.",
    },
    "limit.daily_time": {
        "zh": "今天的使用时间（{limit}分钟）已经用完了，明天再来吧。好好休息！",
        "en": "You have used today's time ({limit} minutes). See you tomorrow, and rest well!",
    },
    "limit.quiet_hours": {
        "zh": "现在是休息时间（{start}–{end}），陪伴服务暂停。早点睡觉，明天见！",
        "en": "It is rest time ({start}–{end}), so the companion is paused. Sleep well, see you tomorrow!",
    },
    "warning.fraud": {
        "zh": "【防诈骗提醒】您提到的情况很像诈骗：不要转账、不要透露验证码或银行卡密码，"
        "先挂断电话，和家人商量，或拨打全国反诈专线96110、报警电话110。我们已请工作人员尽快联系您。",
        "en": "[Fraud warning] What you describe looks like a scam. Do not transfer money or share codes "
        "or passwords. Hang up, talk to your family, and call the police. A member of staff will contact you.",
    },
    "guidance.elderly": {
        "zh": "欢迎使用！温馨提示：我是人工智能，不是真人；每天适度使用，多和家人朋友联系；"
        "任何人让您转账、买理财或保健品，请先和家人商量。需要人工帮助时，直接说「我要找人工」。",
        "en": "Welcome! A few tips: I am an AI, not a person; use me in moderation and keep in touch with "
        "family and friends; if anyone asks you to transfer money or buy investments or supplements, "
        "talk to your family first. Say 'I need a person' at any time to reach a human.",
    },
    "help.queued": {
        "zh": "已为您转接人工服务，工作人员会尽快回复您。",
        "en": "We have passed your request to a member of staff, who will answer as soon as possible.",
    },
    "reminder.ai_disclosure.dependency": {
        "zh": "温馨提示：和你聊天的是人工智能，不是真人。我们很高兴陪伴你，也希望你多和身边的人联系、"
        "保持规律作息。",
        "en": "A reminder: you are talking to an AI, not a person. We are glad to keep you company, and we "
        "hope you also stay in touch with the people around you and keep a healthy routine.",
    },
    "age.confirm": {
        "zh": "为了给你合适的保护，请确认你的年龄。",
        "en": "To keep you appropriately safe, please confirm your age.",
    },
    "notify.guardian": {
        "zh": "已通知监护人（{recipient}）。",
        "en": "Your guardian ({recipient}) has been notified.",
    },
}

RELATIONSHIP_NAMES = {
    "partner": {"zh": "恋人", "en": "partner"},
    "relative": {"zh": "亲人", "en": "relative"},
    "friend": {"zh": "朋友", "en": "friend"},
    "mentor": {"zh": "导师", "en": "mentor"},
    "pet": {"zh": "宠物", "en": "pet"},
    "other": {"zh": "其他", "en": "other"},
}


def lang_of(locale: str | None) -> str:
    """``zh`` for Chinese locales (and by default), ``en`` otherwise."""
    if locale is None or locale.lower().startswith("zh"):
        return "zh"
    return "en"


def text(key: str, locale: str | None, **fields: object) -> str:
    """The text ``key`` in the user's language, with ``fields`` filled in."""
    try:
        template = _TEXTS[key][lang_of(locale)]
    except KeyError:
        raise KeyError(f"no text {key!r}") from None
    return template.format(**fields)


def relationship_name(relationship: str, locale: str | None) -> str:
    """The localised name of a relationship type."""
    names = RELATIONSHIP_NAMES.get(relationship, RELATIONSHIP_NAMES["other"])
    return names[lang_of(locale)]
