"""China's provincial-level divisions (省级行政区), for region fields and filters, and its
prefecture-level cities, for recognising a place at the start of a company name."""

from django.utils.translation import gettext_lazy as _

PROVINCES = [
    ("北京市", _("Beijing")),
    ("天津市", _("Tianjin")),
    ("河北省", _("Hebei")),
    ("山西省", _("Shanxi")),
    ("内蒙古自治区", _("Inner Mongolia")),
    ("辽宁省", _("Liaoning")),
    ("吉林省", _("Jilin")),
    ("黑龙江省", _("Heilongjiang")),
    ("上海市", _("Shanghai")),
    ("江苏省", _("Jiangsu")),
    ("浙江省", _("Zhejiang")),
    ("安徽省", _("Anhui")),
    ("福建省", _("Fujian")),
    ("江西省", _("Jiangxi")),
    ("山东省", _("Shandong")),
    ("河南省", _("Henan")),
    ("湖北省", _("Hubei")),
    ("湖南省", _("Hunan")),
    ("广东省", _("Guangdong")),
    ("广西壮族自治区", _("Guangxi")),
    ("海南省", _("Hainan")),
    ("重庆市", _("Chongqing")),
    ("四川省", _("Sichuan")),
    ("贵州省", _("Guizhou")),
    ("云南省", _("Yunnan")),
    ("西藏自治区", _("Tibet")),
    ("陕西省", _("Shaanxi")),
    ("甘肃省", _("Gansu")),
    ("青海省", _("Qinghai")),
    ("宁夏回族自治区", _("Ningxia")),
    ("新疆维吾尔自治区", _("Xinjiang")),
    ("香港特别行政区", _("Hong Kong")),
    ("澳门特别行政区", _("Macao")),
    ("台湾省", _("Taiwan")),
]
PROVINCE_NAMES = {name for name, _label in PROVINCES}

# Prefecture-level cities (地级市) by province, short names (the 市 left off), and a few
# county-level cities that are steel and metal-trading centres (江阴, 张家港, 迁安, 武安…):
# the places a company name may start with (``core.text.identity`` drops them: 上海宝钢 → 宝钢).
CITIES_BY_PROVINCE = {
    "河北省": "石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水 迁安 武安 遵化 任丘",
    "山西省": "太原 大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁 孝义",
    "内蒙古自治区": "呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布",
    "辽宁省": "沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛",
    "吉林省": "长春 吉林 四平 辽源 通化 白山 松原 白城",
    "黑龙江省": "哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化",
    "江苏省": "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁 江阴 宜兴 张家港 常熟 昆山 太仓 靖江",
    "浙江省": "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水 义乌 慈溪 余姚",
    "安徽省": "合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城",
    "福建省": "福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德",
    "江西省": "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶",
    "山东省": "济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽 莱芜",
    "河南省": "郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店 济源",
    "湖北省": "武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州",
    "湖南省": "长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底",
    "广东省": "广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 揭阳 云浮",
    "广西壮族自治区": "南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 来宾 崇左",
    "海南省": "海口 三亚 三沙 儋州",
    "四川省": "成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 资阳",
    "贵州省": "贵阳 六盘水 遵义 安顺 毕节 铜仁",
    "云南省": "昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧",
    "西藏自治区": "拉萨 日喀则 昌都 林芝 山南 那曲",
    "陕西省": "西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 安康 商洛 韩城",
    "甘肃省": "兰州 嘉峪关 金昌 白银 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南",
    "青海省": "西宁 海东",
    "宁夏回族自治区": "银川 石嘴山 吴忠 固原 中卫",
    "新疆维吾尔自治区": "乌鲁木齐 克拉玛依 吐鲁番 哈密",
}
CITY_NAMES = frozenset(city for cities in CITIES_BY_PROVINCE.values() for city in cities.split())

_PROVINCE_FORMS = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")


def province_short_name(name: str) -> str:
    """``江苏省`` → ``江苏``, ``广西壮族自治区`` → ``广西``, ``上海市`` → ``上海``."""
    for form in _PROVINCE_FORMS:
        if name.endswith(form):
            return name[: -len(form)]
    return name


def place_names() -> frozenset[str]:
    """Every way a name may spell a province or city: full (江苏省, 苏州市) and short (江苏, 苏州)."""
    names = set(PROVINCE_NAMES)
    names |= {province_short_name(p) for p in PROVINCE_NAMES}
    names |= CITY_NAMES | {f"{city}市" for city in CITY_NAMES}
    return frozenset(names)
