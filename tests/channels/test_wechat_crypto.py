"""channels.md §1's test vectors, for the fake and for wechatpy as the channel uses it."""

from __future__ import annotations

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from tests.channels.fake_wechat import MessageCipher, sign

# wechatpy tests/test_crypto.py (v1.8.18), verified for the official-account layout.
TOKEN = "123456"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP_ID = "wx49f0ab532d5d035a"
TIMESTAMP, NONCE = "1411525903", "461056294"
ENCRYPTED = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTy"
    "eDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYy"
    "olBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWO"
    "MZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7ml"
    "sl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
MSG_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
REPLY_ENCRYPTED = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGs"
    "L8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSj"
    "PUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJv"
    "FurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFY"
    "FMNMpatF9XiKzHo3"
)
REPLY_SIGNATURE = "407518b7649e86ef23978113f92d27afa9296533"


def test_url_verification_vector_from_the_official_page():
    signature = sign("AAAAA", "1714036504", "1514711492")
    assert signature == "f464b24fc39322e44b38aa78f5edd27bd1441696"
    check_signature("AAAAA", signature, "1714036504", "1514711492")  # raises if wrong


def test_wechatpy_signature_vector():
    assert sign("test", "1410685589", "test") == "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
    check_signature("test", "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", "1410685589", "test")


def test_decrypt_vector():
    assert sign(TOKEN, TIMESTAMP, NONCE, ENCRYPTED) == MSG_SIGNATURE
    body = f"<xml><ToUserName><![CDATA[{APP_ID}]]></ToUserName><Encrypt><![CDATA[{ENCRYPTED}]]></Encrypt></xml>"
    by_wechatpy = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        body, MSG_SIGNATURE, TIMESTAMP, NONCE
    )
    by_fake = MessageCipher(AES_KEY, APP_ID).decrypt(ENCRYPTED)
    assert by_fake == by_wechatpy
    message = xmltodict.parse(by_fake)["xml"]
    assert (message["Content"], message["FromUserName"]) == ("test", "messense")


def test_encrypt_vector():
    encrypted = MessageCipher(AES_KEY, APP_ID).encrypt(REPLY, random=b"1234567890123456")
    assert encrypted == REPLY_ENCRYPTED
    assert sign(TOKEN, TIMESTAMP, NONCE, encrypted) == REPLY_SIGNATURE


def test_the_fake_and_wechatpy_read_each_other():
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    cipher = MessageCipher(AES_KEY, APP_ID)
    envelope = xmltodict.parse(crypto.encrypt_message("<xml>你好</xml>", NONCE, TIMESTAMP))["xml"]
    assert cipher.decrypt(envelope["Encrypt"]) == "<xml>你好</xml>"
    assert envelope["MsgSignature"] == sign(TOKEN, TIMESTAMP, NONCE, envelope["Encrypt"])
    encrypted = cipher.encrypt("<xml>您好</xml>")
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    signature = sign(TOKEN, TIMESTAMP, NONCE, encrypted)
    assert crypto.decrypt_message(body, signature, TIMESTAMP, NONCE) == "<xml>您好</xml>"
