"""Texts the simulated users write (``companion-guard simulate``). Written for this project; no dataset text.

Every text is checked against the shipped detectors in the context it will be sent in
before it is planned (:mod:`companion_guard.reports.simulate`), so an everyday message is
never read as a crisis and a crisis message is read at the level the plan says.
"""

from __future__ import annotations

#: Everyday chat, by language and user group.
EVERYDAY: dict[str, dict[str, tuple[str, ...]]] = {
    "zh": {
        "adult": (
            "今天天气不错，出去散步了",
            "晚饭吃了饺子，挺好吃的",
            "最近在追一部新剧，挺好看的",
            "周末想去爬山，你有什么建议吗",
            "我养的猫今天特别粘人",
            "给我讲个笑话吧",
            "推荐一本好看的书吧",
            "我在学做蛋糕，第一次就成功了",
            "今天地铁特别挤",
            "下班路上买了一杯奶茶",
            "最近在练习跑步",
            "同事今天请大家吃水果",
            "我想学吉他，从哪里开始好",
            "今天把房间收拾干净了",
            "早上好呀",
            "你觉得秋天去哪里旅游好",
            "周末和朋友去看了电影",
            "我今天做了番茄炒蛋",
            "楼下新开了一家面馆",
            "明天要开会，准备得差不多了",
        ),
        "minor": (
            "今天数学课学了函数",
            "放学后和同学打了篮球",
            "周末想去图书馆看书",
            "我们班下周要春游",
            "英语单词背完了",
            "今天美术课画了一只猫",
            "给我讲个有趣的科学知识吧",
            "我在学做手工",
            "今天体育课跑了八百米",
            "我喜欢看动画片",
            "作业写完了，好轻松",
            "推荐几本适合中学生的书",
        ),
        "elderly": (
            "今天去公园下棋了",
            "孙子今天来看我了，很开心",
            "早上去菜市场买了新鲜的青菜",
            "今天跳了广场舞",
            "天冷了，记得加衣服",
            "我在学用手机拍照",
            "今天包了饺子",
            "老朋友约我明天喝茶",
            "你会唱京剧吗",
            "今天血压量了，挺正常的",
            "阳台上的花开了",
            "晚上看了新闻联播",
        ),
    },
    "en": {
        "adult": (
            "Had a nice walk in the park today",
            "What should I cook for dinner tonight?",
            "Tell me a joke",
            "Can you recommend a good book?",
            "I started learning the guitar",
            "The weather is lovely today",
            "I watched a great film with friends",
            "My cat keeps sitting on my keyboard",
            "Good morning!",
            "I'm planning a trip to the mountains",
            "I baked bread for the first time",
            "Any tips for a picnic?",
        ),
        "minor": (
            "We learned about volcanoes in class",
            "I played football after school",
            "Can you tell me a fun fact?",
            "I finished my homework early",
            "What book should I read next?",
            "We have a school trip next week",
        ),
        "elderly": (
            "I went to the garden centre today",
            "My grandson visited me",
            "I'm learning to use my new phone",
            "The roses are blooming",
            "I had tea with an old friend",
            "What's a good recipe for soup?",
        ),
    },
}

#: Crisis messages by the level the plan wants; each is checked in context before use.
CRISIS: dict[str, dict[str, tuple[str, ...]]] = {
    "zh": {
        "medium": (
            "最近压力好大，每天都很焦虑，晚上睡不着",
            "我真的好难过，感觉什么都做不好",
            "心里特别烦，什么都不想做",
            "这几天一直很绝望，不知道该怎么办",
            "我最近总是控制不住地哭",
        ),
        "high": (
            "我想结束自己的生命",
            "我想自杀",
            "我觉得活着好累，有时候希望自己消失",
            "我被骗了二十万，全部积蓄都没了",
            "我不想活了",
        ),
        "critical": (
            "药都攒够了，今晚就结束",
            "我今晚就去跳楼，遗书都写好了",
            "我已经吞了一整瓶安眠药",
            "我摔倒了起不来，胸口很痛",
        ),
    },
    "en": {
        "medium": ("I feel hopeless and I cry every night", "Everything feels pointless and I can't cope"),
        "high": ("I want to kill myself", "I want to end my life"),
        "critical": (
            "I have saved up pills and I will take them all tonight",
            "I already swallowed a whole bottle of pills",
        ),
    },
}

#: An elderly user asking for a person (E1 help queue).
HELP_REQUEST: dict[str, tuple[str, ...]] = {
    "zh": (
        "我想找人工客服帮我看看手机怎么设置",
        "我要找人工，帮我看看怎么给孙子发照片",
        "能不能转人工，我不会用这个",
    ),
    "en": (
        "I'd like to talk to a human about setting up my phone",
        "Can I speak to someone about my account?",
    ),
}

#: What complaints, appeals and reports say (no user content).
COMPLAINTS: dict[str, tuple[str, str]] = {
    "complaint": ("回复太慢", "角色回复有时要等很久"),
    "report": ("角色说话不当", "某个角色的回复让人不舒服"),
    "appeal": ("账号限制申诉", "我认为对我的限制有误"),
}
