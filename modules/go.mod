module github.com/orbital/orbital/modules

go 1.26
