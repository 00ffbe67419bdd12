"""Bilingual emotion lexicons: which words and phrases are cues for which emotion.

Entries are regular expressions over the folded text (lower case, simplified
Chinese, contractions expanded; see `ivr.nlu.text.fold`), so traditional
characters and "can't"/"cannot" need no entries of their own. English entries
match on word boundaries; Chinese entries match anywhere, so a Chinese pattern
that allows a gap ("老公.{0,4}走了") must stay narrow enough not to span clauses.
"""

from __future__ import annotations

from ivr.ids import Emotion
from ivr.nlu.models import LexiconEntry

# fmt: off
ENTRIES: tuple[LexiconEntry, ...] = (
    LexiconEntry(
        name="anger_word",
        emotion=Emotion.ANGRY,
        weight=0.6,
        english=(
            r"angry", r"furious", r"mad at", r"so mad", r"livid", r"outraged", r"outrageous",
            r"ridiculous", r"unacceptable", r"disgusting", r"disgusted", r"pathetic", r"useless",
            r"incompetent", r"sick (?:and tired )?of", r"fed up", r"annoyed", r"infuriating",
            r"furious", r"a joke", r"rip ?off", r"robbery", r"daylight robbery", r"appalling",
            r"terrible service", r"worst (?:bank|service|customer service)", r"how dare",
            r"scandal(?:ous)?", r"insult(?:ing)?", r"hate (?:this|you)", r"stupid", r"rude",
            r"annoying", r"embarrass(?:ing|ed)", r"fed up", r"pissed", r"irritat(?:ed|ing)",
            r"shameful", r"disgrace(?:ful)?", r"absurd", r"hung up on me", r"unbelievable",
            r"frustrat(?:ed|ing)", r"had enough", r"fuming", r"enraged", r"what the hell",
            r"are you kidding", r"cheated", r"lied to me", r"waste of (?:my )?time",
            r"wasting my time", r"you people", r"sick of (?:this|you)",
            r"garbage", r"rubbish", r"trash", r"(?:why|what|where|how) the (?:hell|heck)",
            r"you lot", r"bloody", r"piece of junk", r"held accountable",
            r"who the (?:hell|heck)", r"i am done with", r"the worst \w+ (?:i have|i've) ever",
            r"(?:this is|that is) how you treat", r"you did nothing", r"i want an apology",
            r"(?:so|completely|totally|absolutely|just) done with", r"nonsense",
            r"for (?:god|heaven|pete|christ)(?:'?s)? sake", r"are you deaf", r"do not you dare",
            r"should (?:be|get) (?:fired|sacked|ashamed)",
            r"what (?:exactly )?am i paying (?:\w+ ){0,2}for",
            r"joke of a", r"what a joke", r"a (?:bloody |total |complete )?shambles",
            r"(?:bunch of|you) clowns", r"(?:what|who) do you think you are", r"fed up with",
            # Blame on the bank, not "I messed up my PIN".
            r"(?:you|they|your)(?: \w+){0,4} (?:messed|screwed|mucked|botched)", r"had it with",
        ),
        chinese=(
            "生气", "气死", "愤怒", "火大", "离谱", "过分", "受够", "垃圾", "废物", "破银行",
            "什么破", "太烂", "烂透", "恶心", "岂有此理", "无语", "不像话", "可恶", "气人",
            "搞什么", "荒唐", "欺负人", "坑人", "坑钱", "抢钱", "讨厌", "烦死", "恼火", "怒",
            "什么鬼", "太差", "差劲", "态度恶劣", "恶劣", "最烂", "最差", "你们到底", "到底能不能",
            "到底怎么回事", "态度很差", "气愤", "火冒三丈", "骗人", "忽悠", "耍我", "什么态度",
            "浪费我时间", "浪费时间", "有病", "烦不烦", "不耐烦", "乱收费", "乱扣",
            "一点用[都也]没有", "有什么用(?!途|处)", "要你们何用", "服了你们", "真是服了", "我服了",
            "[都也]办不好", "做不好", "干什么吃的", "怎么做事的", "烂银行", "烂服务", "好烂",
            "真烂", "很烂", "太扯", "扯淡", "凭什么", "黑心",
            "你们的破", "这个破", "破机器", "破app", "什么服务",
            "态度(?:很|超|太|真|好|非常|极)?差",
            "一群废物", "莫名其妙", "怎么搞的", "破系统", "这样对待", "不客气", "客诉",
            "叫你们(?:经理|主管|领导)", "不归他们管", "踢皮球", "推来推去",
            "开什么玩笑", "开玩笑吗", "在开玩笑", "(?:该|应该)被开除", "听不懂吗", "听不懂人话",
            "聋了",
        ),
    ),
    LexiconEntry(
        name="dissatisfaction",
        emotion=Emotion.ANGRY,
        weight=0.45,
        english=(
            r"not (?:happy|pleased|satisfied|ok(?:ay)?) (?:with|about)", r"not happy at all",
            r"very disappointed", r"so disappointed", r"really disappointed",
            r"(?:does|is|do|are) (?:anyone|anybody|you) (?:\w+ ){0,2}(?:actually|even|ever) "
            r"(?:read|reading|work|working|listen|listening|care)",
            r"(?:this is|that is) the (?:third|fourth|fifth|\w+th) time",
            r"called (?:\w+ ){0,2}times", r"on hold for (?:an|over an|more than an|\w+) hours?",
            r"(?:an|one|two|\w+) hours? on hold",
            r"nobody (?:ever )?(?:calls|called) (?:me )?back",
            r"no one (?:ever )?(?:calls|called) (?:me )?back",
            r"keep(?:s)? (?:charging|happening)",
            r"it(?:'s| has| is) been (?:over |more than )?\w+ (?:weeks?|months?)",
            r"again and again", r"every single time", r"still not fixed", r"still has not been",
            r"(?:nobody|no one) (?:ever )?(?:bothers?|bothered|cares?|cared|listens?|listened)",
            r"(?:the|for the) (?:\w+ )?(?:third|fourth|fifth|sixth|tenth|umpteenth) time",
        ),
        chinese=(
            "不满", "很失望", "太失望",
            "打了(?:好几|很多|好多|几|[两三四五六七八九十\\d]+)[次通遍]",
            "等了半天", "等了好久", "第[三四五六七八九十]次", "一直没人", "没人理", "没人管",
            "又是这样", "每次都", "还没解决", "到现在还没", "还是没人", "没人处理", "没人回",
            "等了[好半一两三四五六七八九十几\\d]+个?(?:小时|天|星期|礼拜|周|月)",
        ),
        negatable=False,
    ),
    LexiconEntry(
        name="profanity",
        emotion=Emotion.ANGRY,
        weight=0.8,
        english=(
            r"fuck\w*", r"f\*+(?:c?k)?\w*", r"shit\w*", r"bullshit", r"damn\w*", r"bloody hell",
            r"crap", r"wtf", r"bastards?", r"assholes?", r"piss off", r"screw you", r"idiots?",
            r"morons?",
        ),
        chinese=(
            "他妈", "(?<![妈我她])妈的", "tmd", "卧槽", "我靠", "靠北", "操你", "混蛋", "王八蛋",
            "滚", "白痴",
            "傻逼", "sb", "神经病", "去死", "干你", "该死",
        ),
        negatable=False,
    ),
    LexiconEntry(
        name="threat_to_leave_or_complain",
        emotion=Emotion.ANGRY,
        weight=0.55,
        english=(
            r"close (?:all )?my accounts? and", r"switch(?:ing)? banks?", r"change banks?",
            r"(?:move|take|moving|taking) (?:all )?my (?:money|business|accounts?) elsewhere",
            r"(?:move|take|moving|taking) (?:all )?my (?:money|business|accounts?) to another bank",
            r"leave (?:this|your) bank", r"leaving (?:this|your) bank", r"(?:my|a) lawyer",
            r"sue (?:you|the bank)", r"legal action", r"report(?:ing)? (?:you|this|it) to",
            r"(?:going|go|straight|went) to the (?:ombudsman|regulator|press|papers|news)",
            r"the (?:news(?:papers?)?|press|media)", r"social media",
            r"clos(?:e|ing) (?:everything|it all)", r"(?:moving|move|switching) banks?",
        ),
        chinese=(
            "去投诉", "告你们", "起诉", "律师", "换银行", "换一家银行", "销户不用", "再也不用",
            "曝光", "媒体", "去(?:银保监|金管会|消保)", "把钱都转走", "把钱转到别的银行",
        ),
        negatable=False,
    ),
    LexiconEntry(
        name="sarcasm",
        emotion=Emotion.ANGRY,
        weight=0.5,
        english=(
            r"thanks (?:a lot )?for nothing", r"oh,? (?:great|wonderful|perfect|brilliant|lovely)",
            r"just (?:great|perfect|wonderful|brilliant|lovely)", r"yeah,? right",
            r"great job,? (?:guys|bank)",
            r"what a (?:great|wonderful|fantastic) (?:service|bank|job)",
            r"(?:great|wonderful|fantastic|amazing) service,? (?:really|as usual|again)",
            r"love (?:being|waiting) (?:on hold|kept waiting)", r"(?:i )?love waiting",
            r"thanks for wasting", r"thanks for (?:\w+ ){1,2}nothing",
            r"(?:oh|well|wow),? (?:fantastic|terrific|marvell?ous|super|nice one|awesome|amazing)",
            r"(?:great|wonderful|fantastic|brilliant|lovely|perfect|terrific|marvell?ous),? "
            r"(?:another|again|yet another|once again)",
            r"what a (?:surprise|shock)", r"surprise,? surprise", r"really know how to",
            r"(?:fantastic|great|brilliant|wonderful|perfect|lovely),? (?:love it|love that|"
            r"just what i needed|thanks (?:a lot|bank|guys))", r"love that for me",
            r"thank you (?:so much )?for the "
            r"(?:amazing|wonderful|great|fantastic|excellent) service",
            r"only took (?:\w+ ){1,2}(?:days|weeks|months) to",
            r"what a (?:treat|pleasure|privilege|honou?r)",
        ),
        chinese=(
            "呵呵", "真是谢谢你们", "谢谢你们啊", "服务真好啊", "真是好样的", "真棒啊", "太好了又",
            "可真行", "真有你们的", "效率真高啊", "真厉害啊", "真是太好了又", "好棒棒",
            "真是佩服", "佩服佩服",
            "真是?(?:超|太)?(?:高|一流|厉害|惊喜|开心|做得好|好)(?:啊|呀|喔|哦|呢)", "做得真好",
            "谢谢你们(?:喔|哦)", "服务真是一流", "效率真是",
        ),
        negatable=False,
    ),
    LexiconEntry(
        name="urgency",
        emotion=Emotion.AGITATED,
        weight=0.45,
        english=(
            # "rates right now" is only "currently": count it after a demand.
            r"(?:needs?|wants?|do|done|fix(?:ed)?|(?:un)?block(?:ed)?|cancel(?:led)?|stop(?:ped)?"
            r"|freeze|frozen|help|send|sent|give|get|call|connect|put|transfer(?:red)?|pay|paid"
            r"|move|sort(?:ed)?|answer|here|back|now) (?:\w+ ){0,3}right (?:now|away)",
            r"immediately", r"asap", r"as soon as possible",
            # "not urgent", "no hurry": a calm caller saying there is no rush.
            r"(?<!not )(?<!nothing )(?<!not very )urgent(?:ly)?",
            r"(?<!not in a )(?<!no )(?<!not in any )hurry(?: up)?",
            r"this (?:minute|instant)", r"now now",
            r"quick(?:ly)?,? (?:please|now)", r"emergency", r"can not wait", r"no time",
            r"do it now", r"do not have all day", r"get on with it", r"come on", r"faster",
            r"how much longer", r"need (?:it|this|the money) (?:today|now)", r"straight away",
            r"without delay", r"as fast as", r"move it",
            r"(?<!no )(?<!not in a )rush(?:ing)?\b(?! hour)",
            r"today,? not tomorrow", r"pressed (?:zero|0)", r"(?:connect|transfer|put) me "
            r"(?:\w+ ){0,4}now", r"(?:block|stop|cancel|freeze|fix|send) (?:it|this|that) now",
            r"(?:do|fix|send|stop) it fast",
            r"(?:stop|block|fix|check|do|cancel) (?:it|them|this|that) (?:right )?now",
            r"(?:i have|i've) got bills due today", r"quick(?=[!,.]| i am)",
        ),
        chinese=(
            "马上", "立刻", "立即", "赶快", "赶紧", "快点", "快一点", "紧急", "现在就",
            "(?<!应)急用",
            "等不了", "来不及", "快快", "别磨蹭", "动作快", "快帮", "快给我", "等不及", "磨磨蹭蹭",
            "尽快", "越快越好", "还要等多久", "赶时间", "快[!啦]", "不能再拖", "火速",
            "急着", "刻不容缓",
            "快停", "快帮我(?:停|冻结|挡)", "马上停", "快说", "没时间",
        ),
        negatable=False,
    ),
    LexiconEntry(
        name="demand_for_person",
        emotion=Emotion.AGITATED,
        weight=0.0,  # weighted by how often the caller repeats it, see emotion.py
        english=(
            r"(?:real |live |actual )?(?:person|human|agent|representative|operator)",
            r"manager|supervisor|somebody real|someone real",
        ),
        chinese=(
            "人工", "真人", "客服人员", "经理", "主管", "接线员",
        ),
        negatable=False,
    ),
    LexiconEntry(
        name="worry",
        emotion=Emotion.ANXIOUS,
        weight=0.6,
        english=(
            r"worried", r"worry(?:ing)?", r"scared", r"afraid", r"frightened", r"terrified",
            r"nervous", r"panic(?:king|ked)?", r"anxious", r"concerned", r"freaking out",
            r"what if", r"what am i going to do", r"stressed", r"desperate",
            # "move all my money elsewhere" is a threat to leave, not worry.
            r"(?<!move )(?<!take )(?:all|whole|entire) (?:of )?my (?:money|savings)",
            r"savings are gone",
            r"money is gone", r"is my money safe", r"not sure if (?:my|it) is safe",
            r"someone (?:has|is) (?:got|using|in) my", r"losing my money", r"freaked",
            r"uneasy", r"alarmed", r"shaking", r"on edge", r"scary", r"fearful",
            r"what happens if", r"overwhelmed", r"can not (?:sleep|stop thinking)",
            r"evict(?:ed|ion)", r"repossess(?:ed|ion)?", r"lose (?:my|the|our) (?:house|home)",
            r"panick?y", r"(?:have not|did not|can not|could not|barely) (?:slept|sleep)",
            r"losing sleep", r"(?:worried|scared) sick", r"sick with worry", r"at my wits end",
            r"oh (?:my )?god", r"oh no",
            r"before (?:somebody|someone|anyone|they) (?:uses?|takes?)",
            r"(?:kick|throw|kicking|throwing) (?:me|us) out", r"threatening to",
            r"can i (?:get|have) (?:it|the money|my money) back",
            r"need (?:my|the) (?:meds|medicine|medication)",
            r"(?:will not|would not|might not|not) (?:cover|be enough)",
            r"(?:is|will|would) my (?:money|savings) (?:be )?(?:going to )?(?:disappear|vanish)",
            r"did i do (?:something|anything) wrong", r"am i in trouble",
            r"(?:do not|did not) know where (?:it|the money|my money) (?:went|has gone|is)",
            r"where (?:did|has|is) (?:my|the|all my|all the) money (?:go|gone|going)",
            r"(?:is|was) my money (?:still )?(?:there|safe)",
        ),
        chinese=(
            "担心", "害怕", "着急", "著急", "紧张", "心慌", "慌了", "不安", "好怕", "吓死", "急死",
            "焦虑", "担忧", "不放心", "求求你", "救命", "钱都没了", "钱全没了", "积蓄都没了",
            "钱安全吗", "会不会被", "心里没底", "睡不着", "慌", "吓到", "吓坏", "发抖", "忐忑",
            "怎么会这样", "担惊受怕", "恐慌", "心急", "我怕", "(?<!恐)怕会", "怕被", "就怕",
            "担心死", "不知所措", "提心吊胆", "坐立不安",
            "糟了", "糟糕", "完蛋", "还能要回来", "要得回来", "够不够", "赶我走", "要我搬走",
            "拜托", "好怕", "怕资料", "我该怎么", "怎么办才好", "万一", "是不是做错",
            "钱去哪", "钱到哪", "钱还在吗", "上征信", "影响征信", "扣没扣", "到底有没有扣",
        ),
    ),
    LexiconEntry(
        name="loss_or_grief",
        emotion=Emotion.SAD,
        weight=0.65,
        english=(
            r"passed away",
            r"(?:husband|wife|mother|father|mom|mum|dad|son|daughter|partner) (?:just )?passed",
            r"(?:husband|wife|mother|father|mom|mum|dad|son|daughter|partner) (?:had |just )?died",
            r"(?:brother|sister|parents?|friend|grandmother|grandfather) (?:has |had |just )?died",
            r"death of", r"deceased", r"funeral", r"bereavement", r"widow(?:ed|er)?",
            r"lost my (?:husband|wife|mother|father|mom|dad|son|daughter|partner|job)",
            r"laid off", r"lost (?:my|our) (?:home|house)", r"unemployed", r"divorce", r"cancer",
            r"struggling to (?:pay|keep up|make ends meet)", r"can not keep up with",
            r"(?:fallen|fell|falling) behind (?:on|with)",
            r"in (?:the )?hospital", r"terminal(?:ly)? ill", r"can not afford", r"heart ?broken",
            r"grieving", r"grief", r"my late (?:husband|wife|mother|father)", r"no money left",
            r"(?:she|he) (?:\w+,? ){0,3}passed (?:away|on|last|recently|yesterday|in|this)",
            r"passed (?:last|this) (?:week|month|year)",
            r"(?:before|since|after|when) (?:she|he|my \w+) passed", r"hospice", r"very sick",
            r"(?:this|that) is all (?:i|we) have", r"lost my (?:mum|mom|husband|wife|dad|baby)",
        ),
        chinese=(
            "去世", "过世", "先生走了", "老公走了", "老伴走了", "丈夫走了", "太太走了", "老婆走了",
            "我爸走了", "我妈走了", "爸爸走了", "妈妈走了", "离世", "走了以后", "丧事", "葬礼",
            "丧偶", "遗产", "失业", "被裁", "裁员", "离婚", "癌症", "住院", "病重", "还不起",
            "付不起", "交不起", "没钱了", "破产", "先夫", "先父", "亡", "过身", "还不上", "付不出",
            "交不上",
            # "我老公上个月走了": a relative who "left" within the clause, not "拿走了"/"被骗走了".
            "(?:老公|先生|丈夫|老伴|太太|老婆|爸爸|妈妈|我爸|我妈|父亲|母亲|儿子|女儿)"
            "[^,.!?;:。、被把]{0,5}(?<![拿带取偷转抢划扣收寄骗借搬])走了",
            "(?<![该要])被(?:公司|老板)?(?:裁|辞退|开除|炒)",
            "丢了工作", "工作没了",
            "(?:老公|先生|丈夫|老伴|太太|老婆|爸爸|妈妈|我爸|我妈|父亲|母亲)刚走",
            "做不下去", "撑不过去", "倒闭", "关门了", "病倒", "只剩我一个", "很困难",
        ),
    ),
    LexiconEntry(
        name="sadness_word",
        emotion=Emotion.SAD,
        weight=0.55,
        english=(
            r"sad", r"devastated", r"crying", r"cried", r"miserable", r"hopeless", r"depressed",
            r"lonely", r"upset", r"heartbroken", r"down lately", r"give up",
            r"(?:my )?life is over", r"ruined my life", r"(?:lost|losing) everything",
            r"lost everything", r"do not know what to do anymore",
            r"nothing (?:left|else) to lose", r"tears", r"depressing", r"grieve",
            r"feel (?:terrible|awful|so alone|empty|worthless)", r"can not cope", r"passed on",
            r"(?:going to|able to|how to|how do i) cope", r"cope any ?more",
            r"(?:not|un)able to cope",
            r"(?:husband|wife|mother|father|mum|mom|dad|son|daughter|partner) (?:\w+ ){0,2}left us",
            r"(?:everything|my life|life|my world) (?:is )?falling apart",
            r"(?:did not|never|does not|just did not) work out",
            r"one of those (?:months|weeks|years)",
            r"do not know why i (?:even )?bother", r"what is the point",
            r"i am (?:just )?(?:so )?tired",
            r"can not see how i (?:will|would|am going to) ever",
            r"(?:broken|broke) (?:her|him|me|us)",
            r"(?:broke|breaks|breaking) my heart", r"no way out", r"(?:dropped|drop) out",
            r"(?:i am|i feel|just|so|really) exhausted", r"(?:nobody|no one) (?:\w+ ){0,4}cares",
            r"gave up", r"giving up", r"it never does", r"oh well",
            r"(?:did not|do not|never) (?:really )?expect (?:anything|otherwise|much|any ?thing)",
            r"(?:a rough|a hard|a tough|a difficult|such a) (?:year|few months|time|month)",
            r"(?:can not|could not|unable to) (?:manage|cope with|handle) (?:\w+ ){0,3}any ?more",
            r"(?:a bit|too|all a bit) much (?:at the moment|right now|lately|these days)",
            r"(?:had|since|after) (?:a|the|my|his|her) stroke",
        ),
        chinese=(
            "伤心", "难过", "哭", "绝望", "心碎", "沮丧", "痛苦", "郁闷", "委屈", "失落",
            "活不下去", "人生完了", "毁了", "骗光", "一无所有", "好累", "心累", "不知道该怎么活",
            "唉", "垮了", "算了", "不知道还能怎样", "不知道还能怎么办", "见底", "好辛苦",
            "熬不下去",
            "难受", "心痛", "走投无路", "孤单", "没办法了", "撑不下去", "流泪", "伤心欲绝",
            "真的累", "没人在乎", "没有人在乎", "放弃了", "没抱(?:什么)?希望", "不抱(?:什么)?希望",
            "太难了", "管不过来", "什么都记不住", "中风",
        ),
    ),
    LexiconEntry(
        # The caller blames themself: sadness, not anger at the bank.
        name="self_blame",
        emotion=Emotion.SAD,
        weight=0.55,
        english=(
            r"(?:i|i am|i feel|i felt|i was|feel|felt|made me feel) (?:so |such |really |very "
            r"|pretty |like |just )?(?:an? )?(?:stupid|idiot|fool|foolish|dumb|useless|worthless)",
        ),
        chinese=(
            # "我没用过" is "I have not used": a useless self needs a degree word.
            "我(?:好|真|太|很)?(?:是)?(?:蠢|笨|傻)", "我(?:好|真|太|很)(?:是)?没用",
            "觉得自己(?:好|真|太|很)?(?:蠢|笨|傻|没用)",
        ),
        negatable=False,
        shadows=True,
    ),
    LexiconEntry(
        # Harm done to the caller: robbed, hacked, their identity used, money taken.
        name="victim_of_crime",
        emotion=Emotion.ANXIOUS,
        weight=0.4,
        english=(
            r"mugged", r"robbed", r"held up", r"identity (?:was |has been )?stolen",
            r"identity theft", r"hacked", r"emptied my",
            r"(?:someone|somebody) is (?:taking|stealing|using)",
        ),
        chinese=(
            "被抢", "抢劫", "盗刷", "冒用", "被盗用", "被黑", "有人在盗",
        ),
    ),
    LexiconEntry(
        # A fraud or scam being reported: under the floor alone, since a caller who reports
        # a strange charge or a fake call calmly is neutral, however serious the matter.
        name="fraud_report",
        emotion=Emotion.ANXIOUS,
        weight=0.3,
        english=(
            r"scam(?:med)?", r"fell for", r"conned", r"clicked (?:on )?a link", r"never been to",
            r"gave (?:them|him|her|someone|a stranger) my (?:details|code|pin|password)",
        ),
        chinese=(
            "被骗", "假冒", "冒充", "没去过", "把验证码给", "把密码告诉", "被诈骗",
            # A link is only a cue once clicked ("重设密码的链接过期了" is no crime).
            "点(?:了|开了?|进去了?)(?:那个|一个|他们的|短信里的|短信的)?(?:连结|链接)",
        ),
    ),
    LexiconEntry(
        name="helplessness",
        emotion=Emotion.ANXIOUS,
        weight=0.3,
        english=(
            r"what (?:do|should|can) i do", r"i do not know what to do", r"help me",
            r"what (?:do|should|can) we do", r"please,? (?:help|what)",
        ),
        chinese=(
            "怎么办", "如何是好", "不知道怎么办",
        ),
    ),
)
# fmt: on
