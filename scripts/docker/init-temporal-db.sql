-- Temporal's auto-setup creates its schemas; the databases must exist first.
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
