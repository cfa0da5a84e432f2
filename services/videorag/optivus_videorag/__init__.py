"""Optivus VideoRAG: questions answered over indexed video, citing the clips."""
