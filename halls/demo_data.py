"""Names, places and the service catalogue the demo city is built from.

Plain data only; `halls.demo` turns it into outlets. The districts, roads and
towns are Zhengzhou's own; shop and village names are made up but typical.
"""

from dataclasses import dataclass

# The tables below read better as tables than one item a line.
# fmt: off

SEED = 2012  # the year of the source article; every run draws the same city

# Outlet codes: owned halls ZZ-H001.., franchise stores ZZ-F0001.., agent stores
# ZZ-A0001.., authorized points ZZ-P0001.. .
CODE_PREFIX = "ZZ-"


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name_zh: str
    name_en: str
    prefix: str
    default_handle_seconds: int
    target_wait_seconds: int = 600


# The global catalogue, in the order kiosks list it (sort_order follows).
SERVICES = (
    ServiceSpec("payment", "缴费充值", "Payment and top-up", "A", 120),
    ServiceSpec("new_line", "新入网/选号/SIM卡", "New line, number selection and SIM", "B", 480),
    ServiceSpec("plan_change", "套餐变更", "Plan change", "C", 300),
    ServiceSpec("handset", "手机购买", "Handset purchase", "D", 600),
    ServiceSpec("broadband", "宽带业务", "Broadband", "E", 420),
    # Enterprise clients are promised a shorter wait.
    ServiceSpec("enterprise", "集团客户", "Enterprise clients", "F", 900, target_wait_seconds=300),
    ServiceSpec("points", "积分兑换", "Points redemption", "G", 180),
    ServiceSpec("enquiry", "综合咨询", "General enquiries", "H", 240),
)

# Every owned hall offers these; the others most halls do.
CORE_SERVICES = ("payment", "new_line", "plan_change", "handset", "enquiry")
OPTIONAL_SERVICES = {"broadband": 0.85, "enterprise": 0.6, "points": 0.8}
# A 24-hour self-service hall staffs only the quick services.
TWENTY_FOUR_HOUR_SERVICES = ("payment", "new_line", "plan_change", "points", "enquiry")

# Which service each further counter of a hall takes first: the busy queues get
# more counters (payment most of all). Cycled through when a hall has more counters.
COUNTER_PRIMARY_ORDER = (
    "payment", "new_line", "plan_change", "handset", "enquiry", "broadband", "enterprise", "points",
    "payment", "new_line", "plan_change", "payment", "handset", "enquiry", "broadband", "payment",
    "new_line", "plan_change", "enquiry", "payment",
)


@dataclass(frozen=True)
class District:
    name: str
    city: str  # what a hall name says after 中国移动: 郑州 for the districts, the county's own name
    urban: bool  # one of the city's contiguous urban districts
    box: tuple[float, float, float, float]  # lat_min, lat_max, lng_min, lng_max
    # How many outlets of each kind go here, as weights: owned, franchise, agent, point.
    weights: tuple[int, int, int, int]
    roads: tuple[str, ...]
    towns: tuple[str, ...] = ()


DISTRICTS = (
    District(
        "金水区", "郑州", True, (34.76, 34.86, 113.62, 113.72), (34, 70, 100, 380),
        ("花园路", "农业路", "经三路", "经二路", "经五路", "经七路", "纬一路", "纬二路", "纬三路", "纬四路",
         "纬五路", "文化路", "丰产路", "东风路", "红专路", "金水路", "黄河路", "南阳路", "北环路", "国基路",
         "丰庆路", "信息学院路", "杨金路", "姚砦路", "政七街", "未来路", "优胜南路", "索凌路"),
    ),
    District(
        "二七区", "郑州", True, (34.66, 34.76, 113.58, 113.68), (24, 50, 80, 300),
        ("大学路", "淮河路", "京广路", "长江路", "兴华街", "大同路", "德化街", "解放路", "二七路", "嵩山南路",
         "航海中路", "福华街", "陇海中路", "齐礼阎路", "连云路", "政通路", "铭功路", "民主路", "一马路", "漓江路"),
    ),
    District(
        "中原区", "郑州", True, (34.72, 34.80, 113.50, 113.63), (22, 50, 75, 300),
        ("建设路", "中原路", "桐柏路", "伏牛路", "棉纺路", "秦岭路", "汝河路", "工人路", "华山路", "西站路",
         "电厂路", "友爱路", "百花路", "淮河西路", "协作路", "嵩山北路", "须水河路"),
    ),
    District(
        "管城回族区", "郑州", True, (34.68, 34.76, 113.67, 113.76), (16, 35, 60, 250),
        ("紫荆山路", "城东路", "商城路", "东大街", "西大街", "南关街", "管城街", "航海东路", "中州大道", "城南路",
         "豫英路", "货站街", "陇海东路", "南三环", "郑汴路", "东明路"),
    ),
    District(
        "惠济区", "郑州", True, (34.83, 34.90, 113.55, 113.70), (8, 20, 35, 200),
        ("天河路", "开元路", "英才街", "江山路", "长兴路", "清华园路", "文化北路", "迎宾路", "新城路", "大河路",
         "兴隆铺路", "银河路", "香山路", "北三环"),
        ("古荥镇", "花园口镇"),
    ),
    District(
        "郑东新区", "郑州", True, (34.73, 34.82, 113.72, 113.85), (20, 40, 50, 180),
        ("商务内环路", "商务外环路", "金水东路", "农业东路", "商鼎路", "众意路", "黄河东路", "心怡路", "龙湖中环路",
         "东风东路", "康宁街", "商都路", "平安大道", "七里河南路", "祥盛街", "通泰路", "九如路", "如意东路"),
    ),
    District(
        "高新区", "郑州", True, (34.78, 34.86, 113.50, 113.60), (12, 25, 40, 200),
        ("科学大道", "长椿路", "翠竹街", "梧桐街", "莲花街", "合欢街", "石楠路", "金梭路", "银屏路", "瑞达路",
         "冬青街", "红松路", "雪松路", "枫杨街", "玉兰街", "化工路", "西四环"),
        ("沟赵乡",),
    ),
    District(
        "经开区", "郑州", True, (34.66, 34.74, 113.72, 113.82), (10, 25, 40, 180),
        ("第八大街", "经北一路", "经南五路", "第三大街", "第九大街", "经开第十五大街", "朝凤路", "锦绣路", "滨河路",
         "经南八路", "经北四路", "航海东路", "第二大街", "经开第五大街"),
        ("九龙镇",),
    ),
    # The districts below lie apart from the urban core: the coordinates are theirs.
    District(
        "上街区", "郑州", False, (34.78, 34.84, 113.26, 113.32), (4, 8, 15, 80),
        ("济源路", "中心路", "新安路", "工业路", "汝南路", "登封路", "淮阳路", "许昌路", "金华路", "通航路"),
        ("峡窝镇",),
    ),
    District(
        "航空港区", "郑州", False, (34.45, 34.60, 113.75, 113.95), (8, 20, 40, 230),
        ("迎宾大道", "郑港四路", "新港大道", "雁鸣路", "四港联动大道", "云港路", "郑港六街", "华夏大道", "兴港大道",
         "凌空街", "苑陵路", "志华路", "长安路"),
        ("八岗镇", "张庄镇", "龙王乡", "三官庙镇"),
    ),
    District(
        "新郑市", "新郑", False, (34.33, 34.48, 113.65, 113.85), (8, 30, 55, 330),
        ("中华北路", "中华南路", "轩辕路", "新华路", "人民路", "金城路", "郑韩路", "炎黄大道", "文化路", "新建路",
         "黄水路", "梨园路", "神州路"),
        ("薛店镇", "龙湖镇", "辛店镇", "孟庄镇", "郭店镇", "梨河镇", "和庄镇", "观音寺镇", "城关乡", "八千乡"),
    ),
    District(
        "新密市", "新密", False, (34.45, 34.60, 113.30, 113.45), (6, 25, 50, 300),
        ("青屏大街", "开阳路", "西大街", "长乐路", "溱水路", "嵩山大道", "平安路", "东大街", "金凤路", "密州大道",
         "新华路", "矿区路"),
        ("超化镇", "米村镇", "大隗镇", "刘寨镇", "白寨镇", "岳村镇", "来集镇", "苟堂镇", "平陌镇", "牛店镇"),
    ),
    District(
        "登封市", "登封", False, (34.40, 34.50, 112.95, 113.15), (5, 20, 40, 270),
        ("少林大道", "中岳大街", "嵩阳路", "崇高路", "书院河路", "颍河路", "太室路", "迎宾路", "大禹路", "洧河路"),
        ("告成镇", "大金店镇", "卢店镇", "颍阳镇", "唐庄镇", "君召乡", "石道乡", "徐庄镇", "宣化镇", "东华镇"),
    ),
    District(
        "荥阳市", "荥阳", False, (34.72, 34.85, 113.30, 113.45), (6, 25, 50, 300),
        ("索河路", "中原西路", "郑上路", "京城路", "演武路", "万山路", "广武路", "塔山路", "桃花路", "飞龙路",
         "织机路", "汜水路"),
        ("豫龙镇", "汜水镇", "广武镇", "高村乡", "王村镇", "崔庙镇", "贾峪镇", "刘河镇", "高山镇", "乔楼镇"),
    ),
    District(
        "巩义市", "巩义", False, (34.70, 34.78, 112.95, 113.10), (6, 25, 50, 300),
        ("杜甫路", "紫荆路", "新兴路", "人民路", "嵩山路", "陇海路", "永安路", "桐本路", "建设路", "新华路", "光明路"),
        ("米河镇", "回郭镇", "竹林镇", "站街镇", "小关镇", "芝田镇", "鲁庄镇", "河洛镇", "康店镇", "大峪沟镇"),
    ),
    District(
        "中牟县", "中牟", False, (34.68, 34.78, 113.90, 114.05), (6, 22, 45, 300),
        ("青年路", "官渡大街", "建设路", "商都大道", "牟州大道", "广惠街", "东风路", "万胜路", "人民路", "中兴路",
         "文化路", "清源路"),
        ("韩寺镇", "雁鸣湖镇", "郑庵镇", "官渡镇", "刘集镇", "大孟镇", "黄店镇", "狼城岗镇", "姚家镇"),
    ),
)

# When a road already has a hall of that name.
HALL_NAME_VARIANTS = ("旗舰", "中心", "第二", "第三", "第四", "第五")

# Franchise stores (指定专营店) are run by phone retailers.
FRANCHISE_OPERATORS = (
    "天元通讯", "中域电讯", "华强通讯", "鑫源通讯", "恒达通讯", "金源通讯", "宏达手机城", "时代通讯", "众诚通讯",
    "瑞丰通讯", "乐天通讯", "万家通讯", "星光通讯", "顺达通讯", "中原通讯", "百信通讯", "豫星通讯", "新世纪通讯",
    "嘉禾通讯", "金鹰数码",
)

# Agent stores (特约代理店) are smaller shops.
AGENT_SHOP_NAMES = (
    "鑫源", "恒通", "华信", "佳佳", "宏远", "金桥", "联创", "顺发", "兴隆", "永盛", "天天", "春晖", "明珠",
    "腾达", "利民", "福源", "广源", "盛世", "卓越", "美辰", "金诺", "信达", "安顺", "东方",
)
AGENT_SHOP_KINDS = ("通讯", "手机", "数码", "电讯", "通讯器材")

# Authorized points (授权销售点) sit in other shops; village points (村级便民点) in villages.
SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高",
    "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
)
POINT_SHOP_KINDS = ("便利店", "超市", "烟酒店", "报刊亭", "通讯部", "手机维修部", "百货店", "便民商店", "副食店")
VILLAGE_PATTERNS = (
    "{}庄", "{}寨", "{}营", "{}岗", "{}楼", "{}湾", "{}沟", "{}家庄", "{}家寨", "大{}庄", "小{}庄", "前{}营",
    "后{}营",
)
