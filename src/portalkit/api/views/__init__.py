"""The API's handlers, by subject; each only calls the portal's services (API-2)."""
