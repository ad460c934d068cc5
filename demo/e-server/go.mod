module eserver

go 1.19
