"""Marketplace readiness: will a loaded product pass a channel's listing rules?

Channels (Myntra, Ajio, Nykaa, Amazon.in, Flipkart and Briskk's own baseline) keep their rule
sets as data, one YAML file each under `channels/`, every rule naming its source and the date
it was read. The checks read what the pipeline already holds: the stored images' facts
(dimensions, bytes, format, the border's whiteness and a perceptual hash, measured once per
image: `image_facts.py`), the product's attributes, its SKUs' barcodes (GTIN check digits:
`gtin.py`), its HSN code (the GST portal's HSN list: `hsn.py`) and the GST rate its price
implies (`gst.py`). A verdict per product per channel (`verdict.py`) is stored with the
upload (`store.py`), and shown by `briskk readiness`, `GET /readiness`, the annotated
workbook's Readiness sheet and the `readiness` asset in Dagster.

Readiness never blocks loading unless a tenant makes a channel blocking (`settings.py`).
"""
