"""Tomorrow's forecast for the destination city, for the note the day before check-in (出行关怀).

One interface and one implementation: QWeather (和风天气) over HTTPS with an API key, looking the
city up in GeoAPI (`/v2/city/lookup`), then reading its 3-day forecast (`/v7/weather/3d`).
QWeather reports errors two ways: in the body's `code` (error codes v1, the legacy hosts:
"401" bad key, "404" unknown city, "429" too many requests), or as the HTTP status with an
`error` object (v2, newer projects). Both are read. Errors are sorted by what the caller can
do: try again later (WeatherUnavailable) or give up and say why (the other WeatherErrors).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

DEFAULT_API_BASE = "https://devapi.qweather.com"
DEFAULT_GEO_API_BASE = "https://geoapi.qweather.com"
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class DailyForecast:
    day: date
    text: str  # the daytime weather: "小雨"
    low: int  # °C
    high: int


class WeatherError(Exception):
    """No forecast to give; the message says why, for people to read."""


class UnknownCity(WeatherError):
    pass


class NoForecast(WeatherError):
    """The provider has no forecast for that place or day."""


class WeatherRefused(WeatherError):
    """The provider refused us (key, quota, permissions): asking again will not help."""


class WeatherUnavailable(WeatherError):
    """The provider is busy, down or unreachable: worth asking again later."""


class WeatherProvider(ABC):
    @abstractmethod
    async def forecast(self, city: str, day: date) -> DailyForecast:
        """The forecast for `day` in `city` (a Chinese city name: "济南")."""


class QWeather(WeatherProvider):
    def __init__(
        self,
        key: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        geo_api_base: str = DEFAULT_GEO_API_BASE,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.key = key
        self.api_base = api_base.rstrip("/")
        self.geo_api_base = geo_api_base.rstrip("/")
        self.timeout = timeout

    async def forecast(self, city: str, day: date) -> DailyForecast:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            # range=cn: our travellers book Chinese cities; it keeps 朝阳 from matching abroad.
            found = await self._get(
                client,
                f"{self.geo_api_base}/v2/city/lookup",
                {"location": city, "range": "cn", "number": "1"},
                what=f"city {city}",
            )
            if not found.get("location"):
                raise UnknownCity(f"QWeather knows no city {city}")
            location = found["location"][0]["id"]
            body = await self._get(
                client,
                f"{self.api_base}/v7/weather/3d",
                {"location": location},
                what=f"forecast for {city}",
            )
        for daily in body.get("daily") or []:
            if daily.get("fxDate") == day.isoformat():
                return DailyForecast(
                    day, daily["textDay"], int(daily["tempMin"]), int(daily["tempMax"])
                )
        raise NoForecast(f"QWeather has no forecast for {city} on {day.isoformat()}")

    async def _get(
        self, client: httpx.AsyncClient, url: str, params: dict[str, str], *, what: str
    ) -> dict[str, Any]:
        try:
            response = await client.get(url, params={**params, "key": self.key})
        except httpx.HTTPError as error:  # its text never holds the URL, so never the key
            raise WeatherUnavailable(f"QWeather unreachable ({what}): {error!r}") from error
        code, body = _status(response)
        if code == "200":
            return body
        raise _error(code, body, what)


def _status(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """The request's status as QWeather means it: v2's error.status, v1's body code, else
    the HTTP status (a proxy's HTML error page)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = body.get("error")
    if isinstance(error, Mapping):
        return str(error.get("status") or response.status_code), body
    if "code" in body:
        return str(body["code"]), body
    return str(response.status_code), body


def _error(code: str, body: Mapping[str, Any], what: str) -> WeatherError:
    error = body.get("error") if isinstance(body.get("error"), Mapping) else {}
    title = f" ({error['title']})" if error.get("title") else ""
    described = f"QWeather answered {code}{title} for {what}"
    # v2 answers an unknown place with 400 and a type URL ending "#no-such-location".
    if code == "404" or str(error.get("type", "")).endswith(("no-such-location", "not-found")):
        return UnknownCity(described)
    if code == "204":
        return NoForecast(described)
    if code in ("400", "401", "402", "403"):
        return WeatherRefused(described)
    return WeatherUnavailable(described)  # 429 too many requests, 5xx


def provider_from_env(env: Mapping[str, str] = os.environ) -> WeatherProvider | None:
    """QWeather when WEATHER_API_KEY is set; None otherwise (the note is then not sent)."""
    key = env.get("WEATHER_API_KEY")
    if not key:
        return None
    return QWeather(
        key,
        api_base=env.get("WEATHER_API_BASE") or DEFAULT_API_BASE,
        geo_api_base=env.get("WEATHER_GEO_API_BASE") or DEFAULT_GEO_API_BASE,
    )
