void broken() { nope(); }
