"""Command palette providers (ctrl+p), one module per area: clients, sales, email, bank,
imports, and the keys of the current screen by name. `CrmApp.COMMANDS` lists them (the
bank's and the imports' are imported when the palette first opens)."""
