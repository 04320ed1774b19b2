from lianke.cli import main

main()
