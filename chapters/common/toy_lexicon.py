"""The lexicon of the toy English<->Chinese grammar, as data tables.

`chapters.common.toy_grammar` builds sentences from these words. Every entry
carries what the grammar needs to inflect and place it: plurals and measure
words for nouns, the three English verb forms and the kinds of subject and
object a verb accepts, the tense a time phrase implies. Categories keep the
sentences sensible (people read books, dogs do not).
"""

from typing import NamedTuple

PERSON = ("person",)
ANIMATE = ("person", "animal")
# What can be bought, sold, wanted or looked for.
GOODS = ("food", "drink", "reading", "thing", "animal")


class Pronoun(NamedTuple):
    """A personal pronoun in its three English forms: I, me, my."""

    subject: str
    object: str
    possessive: str
    chinese: str
    # Which verb form agrees with it: "1s" (I), "3s" (he, she) or "pl".
    agreement: str


class Name(NamedTuple):
    """A person's name, transliterated in Chinese: Tom, 汤姆."""

    english: str
    chinese: str


class Noun(NamedTuple):
    """A common noun: apple, apples, 苹果, counted with 个."""

    singular: str
    plural: str | None  # None for an uncountable noun: tea, water.
    chinese: str
    measure: str | None  # The classifier after a number: 一本书, 三个苹果.
    category: str


class Verb(NamedTuple):
    """A verb, what may do it and what it may be done to."""

    base: str
    third: str  # Third person singular present: eats.
    past: str
    chinese: str
    subjects: tuple[str, ...]  # Noun categories that can do it.
    objects: tuple[str, ...]  # Noun categories it takes; () when intransitive.
    # A state (like, know) rather than an action: present tense only, and no
    # time or place phrase, since "I liked apples at school" reads oddly.
    stative: bool = False


class Adjective(NamedTuple):
    """An adjective and the noun categories it can describe."""

    english: str
    chinese: str
    categories: tuple[str, ...]


class Place(NamedTuple):
    """Where something happens: "in the park", 在公园."""

    preposition: str
    article: str  # "the" or "" ("in the park", "at school").
    noun: str
    chinese: str


class Time(NamedTuple):
    """When something happens: "yesterday", 昨天."""

    english: str
    chinese: str
    tense: str  # "past", "present" (habits) or "future".


_PRONOUNS = (
    Pronoun("I", "me", "my", "我", "1s"),
    Pronoun("you", "you", "your", "你", "pl"),
    Pronoun("he", "him", "his", "他", "3s"),
    Pronoun("she", "her", "her", "她", "3s"),
    Pronoun("we", "us", "our", "我们", "pl"),
    Pronoun("they", "them", "their", "他们", "pl"),
)
_NAMES = (
    Name("Tom", "汤姆"), Name("Mary", "玛丽"), Name("Jack", "杰克"),
    Name("Lucy", "露西"), Name("John", "约翰"), Name("Anna", "安娜"),
    Name("David", "大卫"), Name("Emma", "艾玛"), Name("Peter", "彼得"),
    Name("Linda", "琳达"), Name("Mike", "迈克"), Name("Li Lei", "李雷"),
    Name("Wang Fang", "王芳"), Name("Zhang Wei", "张伟"),
)  # fmt: skip
_NOUNS = (
    Noun("apple", "apples", "苹果", "个", "food"),
    Noun("banana", "bananas", "香蕉", "根", "food"),
    Noun("orange", "oranges", "橙子", "个", "food"),
    Noun("egg", "eggs", "鸡蛋", "个", "food"),
    Noun("cake", "cakes", "蛋糕", "块", "food"),
    Noun("cookie", "cookies", "饼干", "块", "food"),
    Noun("peach", "peaches", "桃子", "个", "food"),
    Noun("pear", "pears", "梨", "个", "food"),
    Noun("watermelon", "watermelons", "西瓜", "个", "food"),
    Noun("dumpling", "dumplings", "饺子", "个", "food"),
    Noun("sandwich", "sandwiches", "三明治", "个", "food"),
    Noun("tomato", "tomatoes", "西红柿", "个", "food"),
    Noun("potato", "potatoes", "土豆", "个", "food"),
    Noun("rice", None, "米饭", None, "food"),
    Noun("bread", None, "面包", None, "food"),
    Noun("meat", None, "肉", None, "food"),
    Noun("tea", None, "茶", None, "drink"),
    Noun("coffee", None, "咖啡", None, "drink"),
    Noun("milk", None, "牛奶", None, "drink"),
    Noun("water", None, "水", None, "drink"),
    Noun("juice", None, "果汁", None, "drink"),
    Noun("beer", None, "啤酒", None, "drink"),
    Noun("book", "books", "书", "本", "reading"),
    Noun("newspaper", "newspapers", "报纸", "份", "reading"),
    Noun("letter", "letters", "信", "封", "reading"),
    Noun("magazine", "magazines", "杂志", "本", "reading"),
    Noun("story", "stories", "故事", "个", "reading"),
    Noun("novel", "novels", "小说", "本", "reading"),
    Noun("poem", "poems", "诗", "首", "reading"),
    Noun("dictionary", "dictionaries", "词典", "本", "reading"),
    Noun("pen", "pens", "笔", "支", "thing"),
    Noun("bag", "bags", "包", "个", "thing"),
    Noun("cup", "cups", "杯子", "个", "thing"),
    Noun("phone", "phones", "手机", "部", "thing"),
    Noun("computer", "computers", "电脑", "台", "thing"),
    Noun("car", "cars", "车", "辆", "thing"),
    Noun("bicycle", "bicycles", "自行车", "辆", "thing"),
    Noun("hat", "hats", "帽子", "顶", "thing"),
    Noun("shirt", "shirts", "衬衫", "件", "thing"),
    Noun("umbrella", "umbrellas", "伞", "把", "thing"),
    Noun("chair", "chairs", "椅子", "把", "thing"),
    Noun("table", "tables", "桌子", "张", "thing"),
    Noun("photo", "photos", "照片", "张", "thing"),
    Noun("key", "keys", "钥匙", "把", "thing"),
    Noun("ticket", "tickets", "票", "张", "thing"),
    Noun("gift", "gifts", "礼物", "个", "thing"),
    Noun("flower", "flowers", "花", "朵", "thing"),
    Noun("box", "boxes", "盒子", "个", "thing"),
    Noun("watch", "watches", "手表", "块", "thing"),
    Noun("map", "maps", "地图", "张", "thing"),
    Noun("teacher", "teachers", "老师", "位", "person"),
    Noun("student", "students", "学生", "个", "person"),
    Noun("doctor", "doctors", "医生", "位", "person"),
    Noun("friend", "friends", "朋友", "个", "person"),
    Noun("child", "children", "孩子", "个", "person"),
    Noun("man", "men", "男人", "个", "person"),
    Noun("woman", "women", "女人", "个", "person"),
    Noun("boy", "boys", "男孩", "个", "person"),
    Noun("girl", "girls", "女孩", "个", "person"),
    Noun("worker", "workers", "工人", "个", "person"),
    Noun("farmer", "farmers", "农民", "个", "person"),
    Noun("driver", "drivers", "司机", "个", "person"),
    Noun("cook", "cooks", "厨师", "个", "person"),
    Noun("neighbor", "neighbors", "邻居", "个", "person"),
    Noun("nurse", "nurses", "护士", "个", "person"),
    Noun("dog", "dogs", "狗", "只", "animal"),
    Noun("cat", "cats", "猫", "只", "animal"),
    Noun("bird", "birds", "鸟", "只", "animal"),
    Noun("horse", "horses", "马", "匹", "animal"),
    Noun("fish", "fish", "鱼", "条", "animal"),
    Noun("rabbit", "rabbits", "兔子", "只", "animal"),
    Noun("duck", "ducks", "鸭子", "只", "animal"),
    Noun("panda", "pandas", "熊猫", "只", "animal"),
    Noun("monkey", "monkeys", "猴子", "只", "animal"),
)
_VERBS = (
    Verb("eat", "eats", "ate", "吃", ANIMATE, ("food",)),
    Verb("drink", "drinks", "drank", "喝", ANIMATE, ("drink",)),
    Verb("read", "reads", "read", "看", PERSON, ("reading",)),
    Verb("write", "writes", "wrote", "写", PERSON, ("reading",)),
    Verb("buy", "buys", "bought", "买", PERSON, GOODS),
    Verb("sell", "sells", "sold", "卖", PERSON, GOODS),
    Verb("wash", "washes", "washed", "洗", PERSON, ("food", "thing", "animal")),
    Verb("carry", "carries", "carried", "带", PERSON, ("food", "reading", "thing")),
    Verb("take", "takes", "took", "拿", PERSON, ("food", "reading", "thing")),
    Verb("open", "opens", "opened", "打开", PERSON, ("reading", "thing")),
    Verb("lose", "loses", "lost", "丢", PERSON, ("reading", "thing")),
    Verb("draw", "draws", "drew", "画", PERSON, ("thing", "animal", "person")),
    Verb("see", "sees", "saw", "看见", ANIMATE, ("thing", "animal", "person")),
    Verb("find", "finds", "found", "找到", ANIMATE, ("thing", "animal", "person")),
    Verb("look for", "looks for", "looked for", "找", ANIMATE, GOODS + PERSON),
    Verb("chase", "chases", "chased", "追", ANIMATE, ANIMATE),
    Verb("feed", "feeds", "fed", "喂", PERSON, ("animal",)),
    Verb("meet", "meets", "met", "遇见", PERSON, PERSON),
    Verb("help", "helps", "helped", "帮助", PERSON, PERSON),
    Verb("visit", "visits", "visited", "看望", PERSON, PERSON),
    Verb("teach", "teaches", "taught", "教", PERSON, PERSON),
    Verb("wait for", "waits for", "waited for", "等", PERSON, PERSON),
    Verb("like", "likes", "liked", "喜欢", PERSON, GOODS + PERSON, stative=True),
    Verb("love", "loves", "loved", "爱", PERSON, ANIMATE, stative=True),
    Verb("want", "wants", "wanted", "想要", PERSON, GOODS, stative=True),
    Verb("need", "needs", "needed", "需要", PERSON, GOODS, stative=True),
    Verb("know", "knows", "knew", "认识", PERSON, PERSON, stative=True),
    Verb("sleep", "sleeps", "slept", "睡觉", ANIMATE, ()),
    Verb("run", "runs", "ran", "跑步", ANIMATE, ()),
    Verb("swim", "swims", "swam", "游泳", ANIMATE, ()),
    Verb("rest", "rests", "rested", "休息", ANIMATE, ()),
    Verb("play", "plays", "played", "玩", ANIMATE, ()),
    Verb("work", "works", "worked", "工作", PERSON, ()),
    Verb("study", "studies", "studied", "学习", PERSON, ()),
    Verb("sing", "sings", "sang", "唱歌", PERSON, ()),
    Verb("dance", "dances", "danced", "跳舞", PERSON, ()),
    Verb("cry", "cries", "cried", "哭", PERSON, ()),
    Verb("laugh", "laughs", "laughed", "笑", PERSON, ()),
    Verb("walk", "walks", "walked", "散步", PERSON, ()),
    Verb("cook", "cooks", "cooked", "做饭", PERSON, ()),
)
# A one-character adjective joins its noun directly (红苹果); a longer one
# takes 的 (漂亮的花), the toy grammar's rule for attributive adjectives.
_ADJECTIVES = (
    Adjective("big", "大", ("food", "thing", "animal")),
    Adjective("small", "小", ("food", "thing", "animal")),
    Adjective("red", "红", ("food", "thing")),
    Adjective("green", "绿", ("food", "thing")),
    Adjective("black", "黑", ("thing", "animal")),
    Adjective("white", "白", ("thing", "animal")),
    Adjective("new", "新", ("reading", "thing")),
    Adjective("old", "旧", ("reading", "thing")),
    Adjective("good", "好", ("food", "drink", "reading", "person")),
    Adjective("hot", "热", ("food", "drink")),
    Adjective("cold", "凉", ("drink",)),
    Adjective("sweet", "甜", ("food", "drink")),
    Adjective("fresh", "新鲜", ("food", "drink")),
    Adjective("delicious", "好吃", ("food",)),
    Adjective("cheap", "便宜", ("food", "reading", "thing")),
    Adjective("expensive", "昂贵", ("food", "reading", "thing")),
    Adjective("beautiful", "漂亮", ("thing", "person", "animal")),
    Adjective("interesting", "有趣", ("reading", "person")),
    Adjective("famous", "有名", ("reading", "person")),
    Adjective("young", "年轻", ("person",)),
    Adjective("kind", "善良", ("person",)),
    Adjective("happy", "快乐", ("person",)),
    Adjective("busy", "忙碌", ("person",)),
    Adjective("tired", "疲倦", ANIMATE),
    Adjective("hungry", "饥饿", ANIMATE),
    Adjective("cute", "可爱", ANIMATE),
    Adjective("smart", "聪明", ANIMATE),
)
_PLACES = (
    Place("at", "", "school", "学校"),
    Place("at", "", "home", "家"),
    Place("in", "the", "park", "公园"),
    Place("in", "the", "library", "图书馆"),
    Place("in", "the", "restaurant", "饭馆"),
    Place("in", "the", "office", "办公室"),
    Place("in", "the", "kitchen", "厨房"),
    Place("in", "the", "garden", "花园"),
    Place("at", "the", "hospital", "医院"),
    Place("in", "the", "supermarket", "超市"),
    Place("at", "the", "station", "车站"),
    Place("in", "the", "classroom", "教室"),
    Place("in", "the", "store", "商店"),
    Place("in", "the", "cafe", "咖啡馆"),
    Place("at", "the", "market", "市场"),
    Place("on", "the", "beach", "海滩"),
    Place("on", "the", "farm", "农场"),
    Place("in", "the", "zoo", "动物园"),
    Place("in", "", "Beijing", "北京"),
    Place("in", "", "Shanghai", "上海"),
)
_TIMES = (
    Time("yesterday", "昨天", "past"),
    Time("last night", "昨晚", "past"),
    Time("last week", "上周", "past"),
    Time("last year", "去年", "past"),
    Time("this morning", "今天早上", "past"),
    Time("two days ago", "两天前", "past"),
    Time("the day before yesterday", "前天", "past"),
    Time("every day", "每天", "present"),
    Time("every morning", "每天早上", "present"),
    Time("every week", "每周", "present"),
    Time("on Sundays", "星期天", "present"),
    Time("tomorrow", "明天", "future"),
    Time("tonight", "今晚", "future"),
    Time("next week", "下周", "future"),
    Time("next year", "明年", "future"),
    Time("tomorrow morning", "明天早上", "future"),
)
# English determiner -> its Chinese words; {measure} is the noun's classifier.
# Possessives are determiners too: "my book" is 我的书.
DETERMINERS = {
    "the": "",
    "a": "一 {measure}",
    "this": "这 {measure}",
    "that": "那 {measure}",
    "two": "两 {measure}",
    "three": "三 {measure}",
    "four": "四 {measure}",
    "five": "五 {measure}",
    "six": "六 {measure}",
    "seven": "七 {measure}",
    "eight": "八 {measure}",
    "nine": "九 {measure}",
    "ten": "十 {measure}",
    "these": "这些",
    "those": "那些",
    "some": "一些",
    **{pronoun.possessive: f"{pronoun.chinese} 的" for pronoun in _PRONOUNS},
}
POSSESSIVES = tuple(pronoun.possessive for pronoun in _PRONOUNS)
NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# Which determiners each kind of noun phrase can take.
SINGULAR_DETERMINERS = ("the", "a", "this", "that", *POSSESSIVES)
PLURAL_DETERMINERS = ("the", *NUMBERS, "these", "those", "some", *POSSESSIVES)
UNCOUNTABLE_DETERMINERS = ("the", "some", *POSSESSIVES)

PRONOUNS = {pronoun.subject: pronoun for pronoun in _PRONOUNS}
NAMES = {name.english: name for name in _NAMES}
NOUNS = {noun.singular: noun for noun in _NOUNS}
VERBS = {verb.base: verb for verb in _VERBS}
ADJECTIVES = {adjective.english: adjective for adjective in _ADJECTIVES}
PLACES = {place.noun: place for place in _PLACES}
TIMES = {time.english: time for time in _TIMES}
