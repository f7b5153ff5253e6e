"""The server-log check the served-app tests share: a browser closing its page mid-update is not an app error,
any other traceback is."""

from pathlib import Path

from .serving import server_log_problems

# What asyncio logs when a tornado websocket write loses the race with the browser closing the page: printed by a
# reproduction of tornado.websocket.WebSocketProtocol13.write_message's wrapper (tornado 6), paths shortened. The
# CI run of stop 19 failed on exactly this text at the teardown of tests/test_browser.py.
CLIENT_GONE = """\
Task exception was never retrieved
future: <Task finished name='Task-2631' coro=<WebSocketProtocol13.write_message.<locals>.wrapper() done, \
defined at /venv/tornado/websocket.py:1138> exception=WebSocketClosedError()>
Traceback (most recent call last):
  File "/venv/tornado/websocket.py", line 1140, in wrapper
    await fut
tornado.iostream.StreamClosedError: Stream is closed

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/venv/tornado/websocket.py", line 1142, in wrapper
    raise WebSocketClosedError()
tornado.websocket.WebSocketClosedError
"""

APP_ERROR = """\
2026-12-01 20:00:00,000 Error running application handler: ValueError('ndvi looks scaled by 10000')
Traceback (most recent call last):
  File "/repo/carbontools/app.py", line 10, in <module>
    raise ValueError("ndvi looks scaled by 10000")
ValueError: ndvi looks scaled by 10000
"""

SERVED = "carbontools app: http://localhost:5006/dashboard\n"


def test_a_closed_browser_tab_is_not_a_problem():
    assert server_log_problems(SERVED + CLIENT_GONE + CLIENT_GONE + "Stopping server\n") == ""


def test_any_other_traceback_is_reported_even_beside_closed_tabs():
    for log in (SERVED + APP_ERROR, SERVED + CLIENT_GONE + APP_ERROR, APP_ERROR + CLIENT_GONE):
        problems = server_log_problems(log)
        assert "ValueError: ndvi looks scaled by 10000" in problems
        assert "WebSocketClosedError()>" not in problems


def test_an_app_error_raised_as_a_closed_websocket_elsewhere_is_still_reported():
    # the same exception from app code, not from asyncio's never-retrieved task report, is not forgiven
    log = "Traceback (most recent call last):\n  File \"app.py\", line 3\ntornado.websocket.WebSocketClosedError\n"
    assert server_log_problems(log) == log


def test_other_words_can_be_watched():
    assert "ERROR" in server_log_problems("2026 ERROR bokeh: document failed\n", words=("Traceback", "ERROR"))
    assert server_log_problems("all fine\n", words=("Traceback", "ERROR")) == ""


def test_the_reproduction_matches_what_tornado_writes():
    # the wrapper's lines quoted above are tornado's own (the installed version), so the pattern tracks them
    import tornado.websocket

    source = Path(tornado.websocket.__file__).read_text()
    assert "        async def wrapper() -> None:\n            try:\n                await fut\n" \
           "            except StreamClosedError:\n                raise WebSocketClosedError()\n" in source
