#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
  return folio::app::RunFolio(argc, argv, std::cout, std::cerr);
}
