"""Quick-start probe (standard library only): sign in as a demo user through the login form and
open the account list. Exit 0 when the list answers 200 to the signed-in user, 1 otherwise.

    python3 .ci/sign_in.py http://127.0.0.1:8000 zhang.wei Lianke-demo-2026
"""

import http.cookiejar
import sys
import urllib.error
import urllib.parse
import urllib.request


def main(base: str, username: str, password: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        opener.open(base + "/login/", timeout=10).read()
        token = next(c.value for c in jar if c.name == "csrftoken")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the base URL is the CI script's own http://127.0.0.1
            base + "/login/", data=form, headers={"Referer": base + "/login/"}
        )
        opener.open(request, timeout=10).read()
        response = opener.open(base + "/customers/account/", timeout=30)
        body = response.read().decode()
    except (OSError, StopIteration, urllib.error.URLError) as exc:
        print(f"not yet: {exc}", file=sys.stderr)
        return 1
    if response.status != 200 or "/login/" in response.url or "object-list" not in body:
        print(f"signed in as {username}? list answered {response.status} at {response.url}", file=sys.stderr)
        return 1
    print(f"{username} signed in; {base}/customers/account/ answered 200")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
