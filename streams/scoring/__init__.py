"""Pure experience scoring: indicators, personas, tumbling-window aggregates."""
