/* Never exits: for the instruction limit. */
int main(void) {
  volatile int x = 0;
  for (;;) ++x;
}
