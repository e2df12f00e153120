"""Media: how works are read into normalized streams with their structure kept."""
