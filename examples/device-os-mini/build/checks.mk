# Environment checks shared by every top-level module (none needed by the fixture).
