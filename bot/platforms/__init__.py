"""Platform adapters: Telegram, Matrix and the console, all speaking the bot's own vocabulary."""
