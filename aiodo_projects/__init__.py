"""The asyncio-native client for the DigitalOcean Projects API."""
