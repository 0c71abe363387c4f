import pytest

from bot.nlu.identifiers import (
    extract_id_numbers,
    extract_phones,
    id_check_digit,
    is_mobile,
    mask_id_number,
    mask_phone,
    mask_pii,
)

SAMPLE_ID = "11010519491231002X"  # the well-known valid sample


def make_id(first17: str) -> str:
    return first17 + id_check_digit(first17)


SHENZHEN_ID = make_id("44030619900307123")


def test_check_digit_of_the_sample() -> None:
    assert id_check_digit(SAMPLE_ID[:17]) == "X"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("13812345678", True), ("19912345678", True), ("12812345678", False), ("1381234567", False)],
)
def test_is_mobile(value: str, expected: bool) -> None:
    assert is_mobile(value) is expected


@pytest.mark.parametrize(
    "text",
    [
        "电话13812345678",
        "电话：138 1234 5678，两位",
        "138-1234-5678",
        "+86 138 1234 5678",
        "86-13812345678",
        "１３８１２３４５６７８",
    ],
)
def test_valid_phone_forms_normalise_to_digits(text: str) -> None:
    [match] = extract_phones(text)
    assert (match.value, match.valid, match.problem) == ("13812345678", True, None)
    assert text[match.start : match.end] == match.text


def test_eleven_digits_that_are_not_a_mobile() -> None:
    [match] = extract_phones("号码12345678901")
    assert (match.valid, match.problem) == (False, "not_mobile")


@pytest.mark.parametrize("text", ["1381234567", "138123456789"])
def test_wrong_length_phone(text: str) -> None:
    [match] = extract_phones(text)
    assert (match.valid, match.problem) == (False, "length")


@pytest.mark.parametrize("text", [f"身份证{SAMPLE_ID}", "日期20261203", "2026-12-03", "2个人"])
def test_ids_dates_and_small_numbers_are_not_phones(text: str) -> None:
    assert extract_phones(text) == []


def test_a_stray_number_after_a_phone_stays_separate() -> None:
    assert [m.value for m in extract_phones("13812345678 2位")] == ["13812345678"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (SAMPLE_ID, SAMPLE_ID),
        (SAMPLE_ID.lower(), SAMPLE_ID),
        (f"身份证号：{SHENZHEN_ID}，谢谢", SHENZHEN_ID),
        ("110105 19491231 002X", SAMPLE_ID),
        ("１１０１０５１９４９１２３１００２Ｘ", SAMPLE_ID),
    ],
)
def test_valid_id_numbers(text: str, value: str) -> None:
    [match] = extract_id_numbers(text)
    assert (match.value, match.valid, match.problem) == (value, True, None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("110105194912310021", "check_digit"),
        (make_id("11010519491331002"), "birth_date"),  # month 13
        (make_id("11010520991231002"), "birth_date"),  # in the future
        (make_id("11010518991231002"), "birth_date"),  # before 1900
        (make_id("99010519491231002"), "region"),
        ("110105194912310", "length"),
        ("1101051949123100", "length"),
        ("1101051949123100211", "length"),
    ],
)
def test_invalid_id_numbers(value: str, problem: str) -> None:
    [match] = extract_id_numbers(value)
    assert (match.valid, match.problem) == (False, problem)


def test_phones_are_not_id_numbers() -> None:
    assert extract_id_numbers("13812345678") == []


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("11010519491231123X") == "110105********123X"


def test_mask_pii_masks_every_phone_and_id_number() -> None:
    text = f"电话138 1234 5678，身份证{SAMPLE_ID}，座机02112345678"
    assert mask_pii(text) == "电话138****5678，身份证110105********002X，座机021****5678"
