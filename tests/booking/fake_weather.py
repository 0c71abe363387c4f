"""A fake of QWeather (和风天气) built from its public documentation, independent of
bot/booking/weather.py so the two check each other.

A real HTTP server on 127.0.0.1 serving GeoAPI's `/v2/city/lookup` and the 3-day forecast
`/v7/weather/3d`, answering gzip-compressed JSON as QWeather does, with every value a string.
Errors come as error codes v1 by default (the legacy hosts: the status in the body's `code`,
"401" for a bad or missing key, "404" for an unknown city or LocationID, "429" for too many
requests), or as v2 when asked (the HTTP status, and an `error` object whose `type` URL names
the error).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fake_http import LocalHTTPServer

ERROR_DOCS = "https://dev.qweather.com/docs/resource/error-code/"
# v2: code → (HTTP status, type anchor, title)
V2_ERRORS = {
    "400": (400, "invalid-parameters", "Invalid Parameters"),
    "401": (401, "unauthorized", "Unauthorized"),
    "404": (400, "no-such-location", "No Such Location"),
    "429": (429, "too-many-requests", "Too Many Requests"),
    "500": (500, "unknown-error", "Unknown Error"),
}
REFER = {"sources": ["QWeather"], "license": ["QWeather Developers License"]}


@dataclass(frozen=True)
class City:
    name: str
    id: str
    adm1: str
    lat: str
    lon: str


CITIES = (
    City("济南", "101120101", "山东省", "36.65123", "117.12009"),
    City("北京", "101010100", "北京市", "39.90499", "116.40529"),
    City("哈尔滨", "101050101", "黑龙江省", "45.75697", "126.64246"),
)


class FakeQWeather(LocalHTTPServer):
    def __init__(self, key: str = "qweather-test-key", today: date = date(2026, 12, 3)) -> None:
        self.key = key
        self.today = today  # the first day of every 3-day forecast
        self.error_version = 1
        # LocationID → (textDay, tempMin, tempMax) for today, tomorrow and the day after.
        self.weather: dict[str, list[tuple[str, int, int]]] = {
            city.id: [("晴", 2, 12), ("小雨", 8, 18), ("多云", 5, 15)] for city in CITIES
        }
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._fail_next: list[str] = []
        self._listen(self._handler())

    def env(self) -> dict[str, str]:
        """What a deployment sets to use this server (both APIs on one host here)."""
        return {
            "WEATHER_API_KEY": self.key,
            "WEATHER_API_BASE": self.base_url,
            "WEATHER_GEO_API_BASE": self.base_url,
        }

    def fail_next(self, code: str) -> None:
        """The next request answers with this error code ("429", "500")."""
        self._fail_next.append(code)

    # The API.

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict]:
        self.requests.append((path, query))
        if query.get("key") != self.key:
            return self._error("401")
        if self._fail_next:
            return self._error(self._fail_next.pop(0))
        if path == "/v2/city/lookup":
            return self._lookup(query)
        if path == "/v7/weather/3d":
            return self._forecast(query)
        return 404, {}

    def _lookup(self, query: dict[str, str]) -> tuple[int, dict]:
        wanted = query.get("location", "")
        if not wanted:
            return self._error("400")
        number = int(query.get("number", "10"))
        # Fuzzy: a city matches from its first characters, or by its LocationID.
        found = [c for c in CITIES if c.name.startswith(wanted) or c.id == wanted][:number]
        if not found:
            return self._error("404")
        return 200, {
            "code": "200",
            "location": [
                {
                    "name": c.name,
                    "id": c.id,
                    "lat": c.lat,
                    "lon": c.lon,
                    "adm2": c.name,
                    "adm1": c.adm1,
                    "country": "中国",
                    "tz": "Asia/Shanghai",
                    "utcOffset": "+08:00",
                    "isDst": "0",
                    "type": "city",
                    "rank": "11",
                    "fxLink": f"https://www.qweather.com/weather/{c.id}.html",
                }
                for c in found
            ],
            "refer": REFER,
        }

    def _forecast(self, query: dict[str, str]) -> tuple[int, dict]:
        location = query.get("location", "")
        if not location:
            return self._error("400")
        if location not in self.weather:
            return self._error("404")
        daily = []
        for offset, (text, low, high) in enumerate(self.weather[location]):
            daily.append(
                {
                    "fxDate": (self.today + timedelta(days=offset)).isoformat(),
                    "sunrise": "07:01",
                    "sunset": "16:58",
                    "tempMax": str(high),
                    "tempMin": str(low),
                    "iconDay": "305",
                    "textDay": text,
                    "iconNight": "150",
                    "textNight": "晴",
                    "windDirDay": "东北风",
                    "windScaleDay": "1-3",
                    "humidity": "65",
                    "precip": "0.0",
                    "pressure": "1020",
                }
            )
        return 200, {
            "code": "200",
            "updateTime": f"{self.today.isoformat()}T08:00+08:00",
            "fxLink": f"https://www.qweather.com/weather/{location}.html",
            "daily": daily,
            "refer": REFER,
        }

    def _error(self, code: str) -> tuple[int, dict]:
        if self.error_version == 1:
            return 200, {"code": code}
        status, anchor, title = V2_ERRORS[code]
        return status, {
            "error": {
                "status": status,
                "type": f"{ERROR_DOCS}#{anchor}",
                "title": title,
                "detail": f"{title}.",
            }
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, payload = api.answer(url.path, query)
                body = gzip.compress(json.dumps(payload, ensure_ascii=False).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
