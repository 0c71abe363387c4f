import pytest

from bot.hotline.knowledge import answer


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
