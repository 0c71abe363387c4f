"""The QWeather provider against a faithful fake of QWeather's API, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest

from bot.booking.weather import (
    DailyForecast,
    NoForecast,
    QWeather,
    UnknownCity,
    WeatherRefused,
    WeatherUnavailable,
    provider_from_env,
)
from tests.booking.fake_weather import FakeQWeather
from tests.channels.fake_wechat import free_port

TOMORROW = date(2026, 12, 4)  # the fake's forecasts start on 2026-12-03


@pytest.fixture
def api() -> Iterator[FakeQWeather]:
    with FakeQWeather() as api:
        yield api


def forecast(provider: QWeather, city: str = "济南", day: date = TOMORROW) -> DailyForecast:
    return asyncio.run(provider.forecast(city, day))


def qweather(api: FakeQWeather, key: str | None = None) -> QWeather:
    return QWeather(key or api.key, api_base=api.base_url, geo_api_base=api.base_url)


def test_the_forecast_for_a_city_and_day_after_looking_the_city_up(api):
    assert forecast(qweather(api)) == DailyForecast(TOMORROW, "小雨", 8, 18)
    (lookup, lookup_query), (daily, daily_query) = api.requests
    assert lookup == "/v2/city/lookup"
    assert lookup_query == {"location": "济南", "range": "cn", "number": "1", "key": api.key}
    assert daily == "/v7/weather/3d" and daily_query["location"] == "101120101"


def test_the_environment_configures_qweather_and_no_key_means_no_provider(api):
    assert provider_from_env({}) is None
    provider = provider_from_env(api.env())
    assert isinstance(provider, QWeather)
    assert forecast(provider, "哈尔滨", date(2026, 12, 3)).text == "晴"
    defaults = provider_from_env({"WEATHER_API_KEY": "k"})
    assert (defaults.api_base, defaults.geo_api_base) == (
        "https://devapi.qweather.com",
        "https://geoapi.qweather.com",
    )


@pytest.mark.parametrize("version", [1, 2])
def test_a_bad_key_is_refused_and_not_worth_retrying(api, version):
    api.error_version = version
    with pytest.raises(WeatherRefused, match="401"):
        forecast(qweather(api, key="wrong"))


@pytest.mark.parametrize("version", [1, 2])
def test_an_unknown_city(api, version):
    api.error_version = version
    with pytest.raises(UnknownCity, match="city 火星"):
        forecast(qweather(api), "火星")


def test_a_day_outside_the_three_day_forecast(api):
    with pytest.raises(NoForecast, match="济南 on 2026-12-10"):
        forecast(qweather(api), day=date(2026, 12, 10))


@pytest.mark.parametrize("code", ["429", "500"])
def test_too_many_requests_or_a_server_error_is_worth_retrying(api, code):
    api.fail_next(code)
    with pytest.raises(WeatherUnavailable, match=code):
        forecast(qweather(api))
    assert forecast(qweather(api)).text == "小雨"  # the next attempt succeeds


def test_an_unreachable_provider_is_worth_retrying_and_the_key_stays_out_of_the_error():
    base = f"http://127.0.0.1:{free_port()}"
    provider = QWeather("secret-key", api_base=base, geo_api_base=base, timeout=2)
    with pytest.raises(WeatherUnavailable) as raised:
        forecast(provider)
    assert "secret-key" not in str(raised.value)
