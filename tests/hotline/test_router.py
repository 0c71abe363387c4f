import io
import json

import pytest

from bot.hotline.directory import load_directory
from bot.hotline.router import CATEGORIES, Route, main, route

# Every assignment in the source document's test questions (第四篇), in its own words.
SEED_ASSIGNMENTS = [
    ("以后关于河东新区物业这一块", "住建局"),
    ("滨江路路灯不亮,影响市民出行", "住建局"),
    ("来电人反应有人在渠河里洗澡,污染水源", "环保局"),
    ("城市公交站台的设置", "交运局"),
    ("最低生活保障资金的分配", "民政局"),
    ("全市、乡、镇、街、路、巷、村(社区)地名的设置", "民政局"),
    ("有对夫妻收养了一个男孩,需要登记", "民政局"),
    ("涉及到物业管理的问题", "住建局"),
    ("未成年儿童去网吧上网", "文广局"),
    ("新型农村合作医疗的综合管理", "卫生局"),
    ("有人反应自己住的小区老鼠很多,蟑螂、蚊虫很多", "卫生局"),
    ("道路桥梁主体的修复", "交运局"),
    ("桥梁周围的扶手栏杆的维护", "住建局"),
    ("城市流浪狗的管理", "公安局"),
    ("停车费纠纷", "发改委"),
    ("路面井盖丢失", "住建局"),
    ("路面井盖丢失,井盖上的标识是中国移动", "电信运营商"),
    ("电信宽带和联通、移动的手机信号问题", "电信运营商"),
    ("地沟油的回收", "质检局"),
    ("食用油出现质量问题", "质检局"),
    ("地沟油在市场上流通", "工商局"),
    ("地沟油进入餐桌", "食品药品监管局"),
    ("金融机构的行政许可", "银监局"),
    ("融资担保公司人员的监管", "银监局"),
    ("有人反映出租车司机不打表、看见人多就拒绝搭乘", "交运局"),
]


@pytest.mark.parametrize(("text", "department"), SEED_ASSIGNMENTS)
def test_seed_assignment_routes_to_its_department(text: str, department: str) -> None:
    result = route(text)
    assert result.department == department
    assert result.scope is None
    assert not result.needs_review


@pytest.mark.parametrize(
    ("text", "scope", "number"),
    [
        ("隔壁邻居借了我三万块钱一直不还,我想起诉他", "12348", "12348"),
        ("我跟公司有合同纠纷,对方不付货款", "12348", "12348"),
        ("有人拿着刀在小区门口砍人,快来人", "110", "110"),
        ("举报镇政府的干部收受贿赂,贪污扶贫款", "12388", "12388"),
        ("我上访了好几年都没结果,要求见市长", "信访", "2090304"),
        ("区法院的法官判决不公,我要投诉", "上级法院或检察院", "上一级法院或检察院"),
    ],
)
def test_out_of_scope_gets_guidance_and_no_department(text: str, scope: str, number: str) -> None:
    result = route(text)
    assert result.scope == scope
    assert result.department is None
    assert result.guidance and number in result.guidance


def test_labour_wage_arrears_are_not_an_economic_dispute() -> None:
    assert route("老板拖欠了我们半年的工资不给").department == "人社局"


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("我们小区从早上开始停水了,也没有通知", "水务集团"),
        ("整栋楼突然停电三个小时了", "供电公司"),
        ("楼道里一股很浓的煤气味,怕是漏气了", "燃气公司"),
        ("都十二月了暖气不热,家里只有十三度", "热力公司"),
        ("十字路口的红绿灯坏了,车都堵死了", "交警支队"),
        ("人民路上的井盖丢了,一个大洞", "住建局"),
    ],
)
def test_urgent_utilities_are_flagged(text: str, department: str) -> None:
    result = route(text)
    assert result.department == department
    assert result.urgent


def test_questions_and_routine_matters_are_not_urgent() -> None:
    assert not route("请问水费可以在网上交吗").urgent
    assert not route("学校强制学生买教辅资料").urgent


def test_a_crime_in_progress_is_urgent() -> None:
    assert route("楼下有人在打架,已经见血了").urgent


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("建议在我们小区门口增设一个公交站台", "suggestion"),
        ("我要投诉出租车司机拒载", "complaint"),
        ("请问高龄补贴去哪里办理", "consult"),
        ("表扬城北派出所的民警,帮我找回了钱包", "praise"),
    ],
)
def test_category(text: str, category: str) -> None:
    assert route(text).category == category


@pytest.mark.parametrize(
    ("text", "scope", "category"),
    [
        ("商场门口有人抢包", "110", "help"),  # the seed: crimes and civil disputes are 求助
        ("我老公天天家暴我", "110", "help"),
        ("朋友欠钱不还还把我拉黑了", "12348", "help"),
        ("举报镇长贪污扶贫款", "12388", "complaint"),  # officials' misconduct: 投诉举报
    ],
)
def test_an_out_of_scope_matter_takes_the_seeds_category(text, scope, category) -> None:
    result = route(text)
    assert (result.scope, result.category) == (scope, category)
    assert load_directory().scope(scope).category == category


def test_a_departments_own_name_routes_to_it() -> None:
    result = route("投诉大英县人社局窗口的工作人员态度恶劣")
    assert result.department == "人社局" and not result.needs_review


def test_the_matter_outweighs_greetings_and_waiting() -> None:
    text = "市长热线你好,你们的电话打了一上午才打进来。我们小区门口的路灯已经坏了半个月了"
    assert route(text).department == "住建局"


def test_a_message_without_a_matter_is_left_for_review() -> None:
    result = route("你好,在吗")
    assert result.needs_review
    assert result.confidence < 0.4


def test_route_is_well_formed() -> None:
    names = {d.name for d in load_directory().departments}
    result = route("小区门口的垃圾堆了三天没人清运")
    assert isinstance(result, Route)
    assert result.category in CATEGORIES
    assert result.department in names
    assert 0.0 <= result.confidence <= 1.0
    assert set(result.as_dict()) >= {
        "category",
        "department",
        "confidence",
        "scope",
        "needs_review",
        "urgent",
    }


def test_main_routes_one_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["滨江路路灯不亮"]) == 0
    assert json.loads(capsys.readouterr().out)["department"] == "住建局"


def test_main_reads_one_message_per_line_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["滨江路路灯不亮", "", "有人在渠河里洗澡", "停车费纠纷"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["-"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(lines)
    routed = [json.loads(line) for line in out]
    assert [r["department"] for r in (routed[0], routed[2], routed[3])] == [
        "住建局",
        "环保局",
        "发改委",
    ]
    assert routed[1]["needs_review"]
    assert "住建局" in out[0]  # ensure_ascii=False: the Chinese is readable
