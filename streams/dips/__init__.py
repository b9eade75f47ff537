"""Journey-dip detection: minute buckets, three detectors, the dip life cycle, alerts, notices."""
