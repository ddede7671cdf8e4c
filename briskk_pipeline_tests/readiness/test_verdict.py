"""Each rule kind against product facts: `ready`, or the failing rule with its slot or cell."""

from __future__ import annotations

from briskk_pipeline.readiness.facts import ImageInfo, ProductFacts, Slot
from briskk_pipeline.readiness.rulesets import rule_sets
from briskk_pipeline.readiness.verdict import evaluate

KB = 1024


def image(
    sha: str,
    size: tuple[int, int] = (1080, 1440),
    *,
    fmt: str = "JPEG",
    nbytes: int = 700 * KB,
    white: float = 0.0,
    phash: str = "0000000000000000",
) -> ImageInfo:
    return ImageInfo(sha, fmt, size[0], size[1], nbytes, white, phash)


def product(
    *images: ImageInfo | None,
    hsn: str = "61091000",
    barcodes: tuple[str | None, ...] = ("8901234567890",),
    material: str | None = "Cotton",
) -> ProductFacts:
    slots = tuple(
        Slot(i, "stored", None, img) if img else Slot(i, "failed", "HTTP 404 Not Found", None)
        for i, img in enumerate(images)
    )
    return ProductFacts(
        product_id="P1",
        row=2,
        attributes={"product_id": "P1", "hsn_code": hsn, "material": material},
        skus=tuple({"sku_id": f"S{i}", "barcode": b} for i, b in enumerate(barcodes)),
        slots=slots,
    )


def hashes(n: int) -> list[str]:
    return [f"{(0xF0F0F0F0F0F0F0F0 >> i) ^ (i * 0x1111):016x}" for i in range(n)]


def myntra_ready() -> ProductFacts:
    return product(*(image(f"s{i}", phash=h) for i, h in enumerate(hashes(5))))


def failures(facts: ProductFacts, channel: str) -> list[tuple[str, str | None, str]]:
    verdict = evaluate(facts, rule_sets()[channel])
    return [(f.rule, f.column, f.message) for f in verdict.failures]


def test_a_product_that_meets_every_myntra_rule_is_ready():
    verdict = evaluate(myntra_ready(), rule_sets()["myntra"])
    assert verdict.ready and verdict.to_dict()["failures"] == []


def test_square_white_small_png_fails_myntra_with_each_slot_named():
    facts = product(
        image("a", (1000, 1000), fmt="PNG", nbytes=120 * KB, white=0.99),
        *(image(f"s{i}", phash=h) for i, h in enumerate(hashes(4))),
    )
    assert failures(facts, "myntra") == [
        ("myntra_image_format", "main_image", "main_image is PNG; Myntra takes only JPEG images"),
        (
            "myntra_image_aspect",
            "main_image",
            "main_image is 1000 × 1000 (1:1); Myntra wants 3:4 portrait images",
        ),
        (
            "myntra_image_min_size",
            "main_image",
            "main_image is 1000 × 1000 pixels; Myntra wants at least 1080 × 1440 pixels",
        ),
        (
            "myntra_image_bytes",
            "main_image",
            "main_image is 120 KB; Myntra wants 500 KB to 1 MB per image",
        ),
        (
            "myntra_apparel_background",
            "main_image",
            "main_image has a white background (99% of its border is near-white); Myntra wants "
            "no white background for apparel (light grey)",
        ),
    ]


def test_myntras_background_rule_is_for_apparel_only():
    white = product(*(image(f"s{i}", phash=h, white=1.0) for i, h in enumerate(hashes(5))))
    assert [f[0] for f in failures(white, "myntra")] == ["myntra_apparel_background"] * 5
    shoes = product(
        *(image(f"s{i}", phash=h, white=1.0) for i, h in enumerate(hashes(5))), hsn="64039990"
    )
    assert failures(shoes, "myntra") == []


def test_image_count_bounds():
    two = product(image("a"), image("b", phash=hashes(2)[1]))
    assert failures(two, "myntra")[-1] == (
        "myntra_image_count",
        None,
        "2 images stored; Myntra wants 5 to 7 images",
    )
    eight = product(*(image(f"s{i}", phash=h) for i, h in enumerate(hashes(8))))
    assert failures(eight, "myntra") == [
        ("myntra_image_count", None, "8 images stored; Myntra wants 5 to 7 images")
    ]


def test_amazon_wants_a_white_roughly_square_main_image_and_valid_gtins():
    good = product(image("a", (1200, 1250), white=0.97), image("b", (900, 1200)))
    assert failures(good, "amazon_in") == []
    grey = product(image("a", (1080, 1440), white=0.0), barcodes=("8901234567891", None))
    assert failures(grey, "amazon_in") == [
        (
            "amazon_main_white_background",
            "main_image",
            "main_image has a background that is not white (0% of its border is near-white); "
            "Amazon.in wants a pure white background on the main image",
        ),
        (
            "amazon_main_square",
            "main_image",
            "main_image is 1080 × 1440 (3:4); Amazon.in wants a roughly square main image",
        ),
        (
            "amazon_gtin",
            "barcode",
            "SKU S0: barcode 8901234567891 is not a valid GTIN-13: its check digit is 1 but the "
            "digits before it give 0 (GS1 check digit); a mistyped or rounded number",
        ),
        (
            "amazon_gtin",
            "barcode",
            "SKU S1 has no barcode; Amazon.in wants a valid GTIN (EAN/UPC) barcode on every SKU",
        ),
    ]


def test_ajio_refuses_a_duplicate_and_a_near_duplicate_across_angles():
    facts = product(
        image("a", (1200, 1500), phash="ffff0000ffff0000"),
        image("a", (1200, 1500), phash="ffff0000ffff0000"),  # the same file again
        image("c", (1200, 1500), phash="ffff0000ffff0007"),  # 3 bits apart
        image("d", (1200, 1500), phash="00ff00ff00ff00ff"),  # another picture
    )
    assert failures(facts, "ajio") == [
        (
            "ajio_no_duplicates",
            "image_1",
            "image_1 repeats main_image (the same image file); Ajio wants no image repeated "
            "across angles",
        ),
        (
            "ajio_no_duplicates",
            "image_2",
            "image_2 repeats main_image (a near-duplicate: perceptual hashes 3 bits apart); "
            "Ajio wants no image repeated across angles",
        ),
    ]


def test_briskk_baseline_names_images_not_stored_and_blank_attributes_for_nykaa():
    facts = product(image("a"), None, material=None)
    assert failures(facts, "briskk") == [
        ("briskk_images_stored", "image_1", "image_1 is not stored (HTTP 404 Not Found)")
    ]
    nykaa = [f for f in failures(facts, "nykaa") if f[0] == "nykaa_required_attributes"]
    assert nykaa == [
        (
            "nykaa_required_attributes",
            "material",
            "material is blank; Nykaa wants material and a barcode filled in",
        )
    ]


def test_unmeasured_images_are_not_judged_on_background_or_hash():
    facts = product(
        ImageInfo("a", "JPEG", 1200, 1500, 300 * KB, None, None),
        ImageInfo("b", "JPEG", 1200, 1500, 300 * KB, None, None),
        hsn="64039990",  # footwear: Ajio's four apparel angles do not apply
    )
    assert failures(facts, "ajio") == []


def test_no_stored_image_is_never_ready_for_a_marketplace():
    facts = product(None, None)  # both URLs failed
    for channel in ("ajio", "amazon_in", "flipkart", "myntra", "nykaa", "briskk"):
        assert not evaluate(facts, rule_sets()[channel]).ready, channel
    assert ("amazon_main_image", "main_image") in [
        (r, c) for r, c, _ in failures(facts, "amazon_in")
    ]
