module eclient

go 1.19
