"""Pages that imitate how YouTube refuses a server, and a yt-dlp extractor
that reads them as yt-dlp's YouTube extractor reads a watch page: the
player response's playabilityStatus becomes the same exceptions, with the
same messages (raise_geo_restricted, raise_no_formats with the login hint,
"Unable to extract" when the page changed, a JavaScript challenge that
failed). The real extractor only runs against youtube.com, which tests
cannot reach; this one runs against the local media site (/imitate/<case>).

The tests put ImitationIE first in the guarded YoutubeDL's extractors."""

from __future__ import annotations

import json

from yt_dlp.extractor.common import InfoExtractor
from yt_dlp.utils import clean_html, remove_end

# playabilityStatus per case, as YouTube sends them.
STATUSES = {
    "bot": {"status": "LOGIN_REQUIRED", "reason": "Sign in to confirm you\u2019re not a bot",
            "errorScreen": {"playerErrorMessageRenderer": {"reason": {"simpleText": "Sign in to confirm you\u2019re not a bot"},
                                                           "subreason": {"simpleText": "This helps protect our community. Learn more"}}}},
    "age": {"status": "LOGIN_REQUIRED", "reason": "Sign in to confirm your age",
            "errorScreen": {"playerErrorMessageRenderer": {"reason": {"simpleText": "Sign in to confirm your age"},
                                                           "subreason": {"simpleText": "This video may be inappropriate for some users."}}}},
    "private": {"status": "LOGIN_REQUIRED", "reason": "Private video",
                "errorScreen": {"playerErrorMessageRenderer": {"reason": {"simpleText": "Private video"},
                                                               "subreason": {"simpleText": "Sign in if you've been granted access to this video"}}}},
    "geo": {"status": "UNPLAYABLE", "reason": "Video unavailable",
            "errorScreen": {"playerErrorMessageRenderer": {"reason": {"simpleText": "Video unavailable"},
                                                           "subreason": {"simpleText": "The uploader has not made this video available in your country"}}}},
    "limited": {"status": "UNPLAYABLE", "reason": "This content isn't available, try again later."},
}
COUNTRIES = ["DE", "FR"]


def page(case: str) -> str:
    """The watch page of `case`: "broken" has no player response (the site
    changed), "js" a playable one whose formats need a JavaScript challenge."""
    title = f"<title>{case} - Imitation</title>"
    if case == "broken":
        return f"<!DOCTYPE html><html><head>{title}</head><body><div id=player></div></body></html>"
    if case == "js":
        player = {"playabilityStatus": {"status": "OK"}, "videoDetails": {"videoId": case, "title": case}}
    else:
        player = {"playabilityStatus": STATUSES[case], "videoDetails": {"videoId": case, "title": case},
                  "microformat": {"playerMicroformatRenderer": {"availableCountries": COUNTRIES}}}
    return (f"<!DOCTYPE html><html><head>{title}</head><body>"
            f"<script>var ytInitialPlayerResponse = {json.dumps(player)};</script></body></html>")


class ImitationIE(InfoExtractor):
    IE_NAME = "imitation"
    _VALID_URL = r"https?://[^/]+/imitate/(?P<id>[\w-]+)"

    def _text(self, node) -> str:
        return (node or {}).get("simpleText") or ""

    def _real_extract(self, url):
        video_id = self._match_id(url)
        webpage = self._download_webpage(url, video_id)
        player = self._search_json(r"ytInitialPlayerResponse\s*=", webpage, "initial player response", video_id)
        status = player.get("playabilityStatus") or {}
        if status.get("status") == "OK":
            self.report_warning(
                "n challenge solving failed: Some formats may be missing. Ensure you have a supported "
                "JavaScript runtime and challenge solver script distribution installed", video_id)
            return {"id": video_id, "title": video_id, "formats": []}
        pemr = (status.get("errorScreen") or {}).get("playerErrorMessageRenderer") or {}
        reason = self._text(pemr.get("reason")) or status.get("reason") or ""
        subreason = clean_html(self._text(pemr.get("subreason")))
        if subreason:
            if subreason.startswith("The uploader has not made this video available in your country"):
                countries = player.get("microformat", {}).get("playerMicroformatRenderer", {}).get("availableCountries")
                self.raise_geo_restricted(subreason, countries, metadata_available=True)
            if subreason != reason:
                reason += f". {subreason}"
        if "sign in" in reason.lower():
            reason = remove_end(reason, "This helps protect our community. Learn more")
            reason = f"{remove_end(reason.strip(), '.')}. {self._login_hint(method='cookies')}"
        self.raise_no_formats(reason, expected=True)
