# Stockpile. `make demo` builds and serves the example registry in this
# repository; `make test` runs every test, real clients included.
GO       ?= go
BIN      := ./stockpile
ADDR     ?= 127.0.0.1:8080
BASE_URL ?= http://$(ADDR)/

.PHONY: all build test test-short vet demo demo-build bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/stockpile

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

test: vet
	$(GO) test -count=1 -timeout 20m ./...

test-short:
	$(GO) test -short ./...

# The example registry: a development key is made on first use (Git-ignored).
demo-build: build
	$(BIN) keys create --if-missing
	$(BIN) build -o public --base-url $(BASE_URL)

demo: demo-build
	@echo
	@echo "apt:    echo 'deb [signed-by=$(CURDIR)/public/apt/key.gpg] $(BASE_URL)apt/ stable main' > /etc/apt/sources.list.d/stockpile-demo.list"
	@echo "dnf:    curl -o /etc/yum.repos.d/stockpile-demo.repo $(BASE_URL)yum/yum.repo"
	@echo "pip:    pip install --index-url $(BASE_URL)pypi/simple/ stockpile-hello"
	@echo "npm:    npm install --registry $(BASE_URL)npm/ @stockpile-demo/hello"
	@echo "TUF:    $(BIN) get --root tuf/root.json $(BASE_URL) apt/dists/stable/InRelease"
	@echo "browse: $(BASE_URL)"
	$(BIN) serve public --addr $(ADDR)

bench: build
	./bench/apt.sh

clean:
	rm -rf $(BIN) public
