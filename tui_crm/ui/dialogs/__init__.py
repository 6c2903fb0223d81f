"""Dialogs: confirmations, prompts, pickers and messages over the current screen.

Each is a `ModalScreen` that `dismiss()`es a typed answer: `ConfirmDialog` (yes/no),
`MessageDialog` (a refusal that must be read), `ChoicePrompt` (pick from a list by
typing), `ClientPicker` (any client, searched as you type), `PromptForm` (a few fields),
and the dialogs of one flow (merging duplicates, exporting to Excel, a password).
"""
