import pytest

from bot.handoff.norms import forbidden_phrases
from bot.hotline.knowledge import (
    KNOWLEDGE_YML,
    SUGGESTIONS_YML,
    answer,
    load_entries,
    referral,
    unreasonable_suggestion,
)


@pytest.mark.parametrize(
    ("question", "entry", "facts", "department"),
    [
        (
            "高龄补贴的发放标准是多少",
            "elderly_allowance",
            ["50元", "100元", "300元", "仅限遂宁市城区"],
            "民政局",
        ),
        ("我家老人一百岁了,百岁老人补贴是多少", "elderly_allowance", ["300元", "城区"], "民政局"),
        ("河东新区小区的物业归谁管", "hedong_property", ["房管局", "住建局"], "住建局"),
        (
            "青年创业贷款最多能贷多少,能贷几年",
            "youth_startup_loan",
            ["8万元", "2年", "延期1年", "15万元"],
            "人社局",
        ),
        (
            "开网吧能不能申请创业担保贷款",
            "youth_startup_loan",
            ["网吧", "桑拿", "房地产", "建材"],
            "人社局",
        ),
        (
            "荣兴大都会宝芝堂集资诈骗的钱什么时候能退",
            "rongxing_fraud_refund",
            ["1000余万", "移交法院", "追回款比例"],
            "公安局",
        ),
        (
            "小区要办车辆智能卡是谁规定的",
            "vehicle_smart_card",
            ["公安部交通局", "张贴有通知"],
            "交警支队",
        ),
        (
            "为什么射洪县不收桥梁费",
            "bridge_toll",
            ["省交通厅", "物价局", "进出遂宁高速路口"],
            "交运局",
        ),
    ],
)
def test_seed_facts_are_answered(
    question: str, entry: str, facts: list[str], department: str
) -> None:
    result = answer(question)
    assert result is not None
    assert result.id == entry
    assert result.department == department
    assert result.answer.startswith("您好")
    for fact in facts:
        assert fact in result.answer
    assert result.confidence >= 0.7


def test_the_departments_hotline_is_the_contact() -> None:
    result = answer("高龄补贴多少钱")
    assert result is not None and result.contact is None  # 民政局 has no national number
    result = answer("过桥费是谁定的")
    assert result is not None and result.contact == "12328"


@pytest.mark.parametrize(
    ("question", "department"),
    [
        ("路灯不亮归哪个部门管", "住建局"),
        ("有人在河里洗澡污染水源归谁管", "环保局"),
        ("收养孩子找哪个部门登记", "民政局"),
        ("停车费纠纷属于哪个部门管", "发改委"),
    ],
)
def test_who_handles_questions_are_answered_from_the_duties(question: str, department: str) -> None:
    result = answer(question)
    assert result is not None
    assert result.department == department
    assert department in result.answer


def test_who_handles_an_out_of_scope_matter_gives_the_guidance() -> None:
    result = answer("朋友借钱不还要起诉,找哪个部门")
    assert result is not None
    assert result.department is None
    assert "12348" in result.answer


@pytest.mark.parametrize(
    "question",
    [
        "今天天气怎么样",
        "我想订一间明天的酒店",
        "你们几点下班",
        "帮我查一下去北京的机票",
        "你好",
        "",
    ],
)
def test_unrelated_questions_get_no_answer(question: str) -> None:
    assert answer(question) is None


def test_a_vague_who_handles_question_gets_no_guess() -> None:
    assert answer("这个事情到底归谁管") is None


# --- simple requests (简单诉求): the unit's own business, or whom to contact ------------------


@pytest.mark.parametrize(
    ("message", "entry", "number"),
    [
        ("家里宽带断网两天了,麻烦帮我报修一下", "telecom_service", "10086"),
        ("我们小区手机信号太差了,帮忙反映一下,用的联通", "telecom_service", "10010"),
        ("刚才打的士把手机落在车上了,能帮我找一下吗", "lost_in_taxi", "12328"),
        ("在商场买的羽绒服没穿就开线了,商家不给退货,麻烦帮我处理一下", "consumer_dispute", "12315"),
        ("快递丢了,快递公司一直说在查,也不赔", "courier_lost", "12305"),
        ("这个月电费怎么这么高,帮我查查电表是不是有问题", "power_service", "95598"),
        ("社保卡丢了,要补办", "social_security_records", "12333"),
        ("小区垃圾桶满了没人清,我该打什么电话", "who_handles", "12319"),
        ("停车场乱收费,应该找哪个部门", "who_handles", "12358"),
    ],
)
def test_a_simple_request_is_answered_with_the_units_number(message, entry, number) -> None:
    found = referral(message)
    assert found is not None and found.id == entry
    assert number in (found.contact or "")


@pytest.mark.parametrize(
    "message",
    [
        "家里宽带断了,报修了三天都没人来",  # the unit already failed them: 推诿 to send them back
        "手机信号差,打了好几次10086都没人管",
        "滨江路的路灯坏了好几天了,麻烦派人来修一下",  # a site job for a department
        "有线电视一直没信号",  # not the carriers' (unless)
        "家里停电了,电费也交了,麻烦派人来看看",  # power cut: not the billing entry
        "低保评得不公平,这个归哪个部门管",  # 民政局 has no nationwide number
        "路灯坏了,麻烦派人来修,我的电话13812345678",
    ],
)
def test_a_request_that_needs_a_work_order_gets_no_referral(message: str) -> None:
    assert referral(message) is None


def test_a_referral_entry_without_a_number_is_refused(tmp_path) -> None:
    path = tmp_path / "knowledge.yml"
    path.write_text(
        "entries:\n  - {id: x, refer: true, match: [[低保]], answer: 您好, department: 民政局}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="x refers to a unit but has no number"):
        load_entries(path)


# --- unreasonable suggestions (不合理建议) ---------------------------------------------------


@pytest.mark.parametrize(
    ("suggestion", "entry"),
    [
        ("建议国庆节多放几天假，七天根本不够玩", "national_holidays"),
        ("强烈建议取消调休！！调休比不放假还累", "national_holidays"),
        ("希望春节长假能延长到半个月，在外打工的回家一趟不容易", "national_holidays"),
        ("建议取消延迟退休，我们这些干体力活的干不动了", "national_retirement_and_tax"),
        ("个税起征点应该提高到一万块", "national_retirement_and_tax"),
        ("建议把我们遂宁升为副省级城市", "administrative_division"),
        ("建议遂宁并入成都，这样房价就起来了", "administrative_division"),
        ("建议政府给每个市民每个月发一千块钱生活费", "cash_for_everyone"),
        ("现在生意难做，建议给老百姓每人发一万块钱刺激消费", "cash_for_everyone"),
        ("建议全市水电气全部免费", "free_for_everyone"),
        ("房贷压力太大了，建议政府帮我们还房贷", "free_for_everyone"),
        ("偷井盖的太可恶了，建议抓到了直接枪毙", "unlawful_punishment"),
        ("小区流浪狗太多了，建议全部打死", "unlawful_punishment"),
        ("建议把外地人都赶出去，治安就好了", "discrimination"),
        ("建议不准外地人在我们小区租房", "discrimination"),
    ],
)
def test_an_unreasonable_suggestion_is_recognised(suggestion: str, entry: str) -> None:
    found = unreasonable_suggestion(suggestion)
    assert found is not None and found.id == entry
    assert found.answer.startswith("您好,感谢您")


@pytest.mark.parametrize(
    "suggestion",
    [
        "建议在河东新区多设几个公交站,现在走到最近的站要二十分钟",
        "建议春节假期增加公交班次",
        "建议法定节假日期间景区门票免费",
        "建议延长3路公交的末班车时间",
        "建议给环卫工人每人每月多发五百块补贴",
        "建议给低保户每户发一千元过年",
        "建议老旧小区的物业费政府补贴一部分",
        "建议把流浪狗都抓起来送到收容所",
        "建议对外地车辆高峰期限行",
        "建议严厉打击偷井盖的行为",
        "建议为困难家庭减免水电费",
        "建议政府多组织外来务工人员免费技能培训",
        "建议外地人多的地方不准乱停车",
        "建议取消限号,现在停车位都不够",
    ],
)
def test_a_reasonable_suggestion_is_not_declined(suggestion: str) -> None:
    assert unreasonable_suggestion(suggestion) is None


# --- what the YAML makes the bot say follows the service norms ------------------------------


@pytest.mark.parametrize("path", [KNOWLEDGE_YML, SUGGESTIONS_YML], ids=lambda p: p.name)
def test_answers_are_polite_and_use_no_forbidden_phrase(path) -> None:
    for entry in load_entries(path):
        assert entry.answer.startswith("您好"), entry.id
        assert "你" not in entry.answer.replace("您", ""), entry.id
        assert not forbidden_phrases(entry.answer), entry.id
