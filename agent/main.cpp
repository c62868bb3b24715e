// outpost: placeholder main until the replay wiring lands.
int main() { return 0; }
