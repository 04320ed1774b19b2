"""China's provincial-level divisions (省级行政区), for region fields and filters."""

from django.utils.translation import gettext_lazy as _

PROVINCES = [
    ("北京市", _("Beijing")), ("天津市", _("Tianjin")), ("河北省", _("Hebei")), ("山西省", _("Shanxi")),
    ("内蒙古自治区", _("Inner Mongolia")), ("辽宁省", _("Liaoning")), ("吉林省", _("Jilin")),
    ("黑龙江省", _("Heilongjiang")), ("上海市", _("Shanghai")), ("江苏省", _("Jiangsu")),
    ("浙江省", _("Zhejiang")), ("安徽省", _("Anhui")), ("福建省", _("Fujian")), ("江西省", _("Jiangxi")),
    ("山东省", _("Shandong")), ("河南省", _("Henan")), ("湖北省", _("Hubei")), ("湖南省", _("Hunan")),
    ("广东省", _("Guangdong")), ("广西壮族自治区", _("Guangxi")), ("海南省", _("Hainan")),
    ("重庆市", _("Chongqing")), ("四川省", _("Sichuan")), ("贵州省", _("Guizhou")), ("云南省", _("Yunnan")),
    ("西藏自治区", _("Tibet")), ("陕西省", _("Shaanxi")), ("甘肃省", _("Gansu")), ("青海省", _("Qinghai")),
    ("宁夏回族自治区", _("Ningxia")), ("新疆维吾尔自治区", _("Xinjiang")), ("香港特别行政区", _("Hong Kong")),
    ("澳门特别行政区", _("Macao")), ("台湾省", _("Taiwan")),
]
PROVINCE_NAMES = {name for name, _label in PROVINCES}
