"""Image and video description service (optivus.vision.v1) on Florence-2,
with RapidOCR for the OCR tasks where configured or where Florence-2
weights are absent."""
