from reviewer.cli import console_main

console_main()
