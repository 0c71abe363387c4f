"""The operator console: a Sanic app serving the pages operators and shift leads work in, and
the JSON API under /api/ those pages (and tests, and benchmarks) drive.

    app.py       the app, its error handling and `python -m bot console`
    auth.py      passwords, login sessions and CSRF tokens (SQL, no web framework)
    web.py       what every route shares: the session cookie, role checks, JSON errors
    errors.py    the errors of the queue and the lifecycles as HTTP statuses, in Chinese
    views.py     queue items, conversations and records as the pages show them
    canned.py    the canned replies (canned_replies.yml)
    routes/      one blueprint per screen: session, pages, queue, conversation, events, lead
    static/      the HTML, CSS and JavaScript (no CDN: call centres run off the internet)
"""
