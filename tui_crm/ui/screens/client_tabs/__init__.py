"""The tabs of the client file, one class each (the screen is `screens/client_file.py`).

Overview, Addresses, Contacts, Timeline, Projects, Opportunities, Documents and Sales
are `ClientTab`s (`base.py`); Analytics is `widgets/client_analytics.py`. A list tab
shows its records through a `LazyTable` and does what the screen's keys ask of it (`n`
new, `e` edit, `delete` …): the bindings are the screen's, and each key goes to the tab
shown when that tab lists it in its `ACTIONS` (the footer shows only those).
"""
