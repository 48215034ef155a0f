"""The redactor: every kind of secret it is meant to mask, and nothing it should keep."""

from __future__ import annotations

from wxplan_cli import keygen
from wxplan_cli.redact import MASK, redact_header, redact_headers, redact_text, register_secret


def test_authorization_signatures_of_both_schemes() -> None:
    for scheme in ("WECHATPAY2-SHA256-RSA2048", "WECHATPAY-BRAND-SHA256-RSA2048"):
        value = (f'{scheme} mchid="1900000109",nonce_str="abc",signature="c2lnbmF0dXJl+/==",'
                 'timestamp="1",serial_no="ABC"')
        out = redact_header("Authorization", value)
        assert "c2lnbmF0dXJl" not in out and f'signature="{MASK}"' in out
        assert 'mchid="1900000109"' in out and 'serial_no="ABC"' in out


def test_signature_headers_pem_and_registered_secrets() -> None:
    assert redact_header("Wechatpay-Signature", "abc==") == MASK
    pem = keygen.private_pem(keygen.new_rsa_key(1024)).decode()
    out = redact_text(f"loaded:\n{pem}done")
    assert "BEGIN PRIVATE KEY" in out and pem.splitlines()[1] not in out and out.endswith("done")
    register_secret("0123456789abcdef0123456789abcdef")
    assert redact_text("key=0123456789abcdef0123456789abcdef!") == f"key={MASK}!"
    register_secret("short")  # too short to mask safely: ignored
    assert redact_text("short") == "short"


def test_personal_ids() -> None:
    body = '{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","plan_id":"12","sub_openid": "x"}'
    out = redact_text(body)
    assert "oUpF8u" not in out and '"plan_id":"12"' in out and '"sub_openid": "***"' in out
    url = "/v3/marketing/partner/product-coupon/users/oUpF8uMuAJO/coupons?brand_id=1"
    assert redact_text(url) == "/v3/marketing/partner/product-coupon/users/***/coupons?brand_id=1"


def test_headers_keep_order_and_harmless_values() -> None:
    pairs = redact_headers({"Accept": "application/json", "Wechatpay-Serial": "PUB_KEY_ID_01"})
    assert pairs == [("Accept", "application/json"), ("Wechatpay-Serial", "PUB_KEY_ID_01")]


def test_structures_are_redacted_before_serialising() -> None:
    """``redact_data`` for error JSON: redacting the JSON text afterwards would miss the escaped quotes
    of ``signature=\\"...\\"``."""
    from wxplan_cli.redact import redact_data

    auth = 'WECHATPAY2-SHA256-RSA2048 mchid="1",signature="c2lnbmF0dXJl+/=="'
    data = {"message": f"sent {auth}", "detail": {"signature": "abc", "items": [auth, 3]}, "code": None}
    out = redact_data(data)
    assert "c2lnbmF0dXJl" not in str(out) and out["detail"]["signature"] == MASK
    assert out["detail"]["items"][1] == 3 and out["code"] is None and 'mchid="1"' in out["message"]
