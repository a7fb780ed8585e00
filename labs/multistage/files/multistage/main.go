// Сервис каталога магазина: крошечный HTTP API на стандартной библиотеке Go.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

type product struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Price int    `json:"price"`
}

var products = []product{
	{ID: 1, Name: "Кружка с китом", Price: 490},
	{ID: 2, Name: "Футболка «docker push»", Price: 1290},
	{ID: 3, Name: "Стикерпак", Price: 150},
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(products)
	})

	addr := ":8080"
	if p := os.Getenv("PORT"); p != "" {
		addr = ":" + p
	}
	log.Printf("shop api listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}
