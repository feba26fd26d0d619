package registry

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/analyzer/simple"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Hit is one search result.
type Hit struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Kind        Kind     `json:"kind"`
	Description string   `json:"description,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Score       float64  `json:"score"`
	Remote      string   `json:"remote,omitempty"` // the registry URL it came from, "" = local
}

// indexDoc is what bleve indexes for a module name (its highest installed version).
type indexDoc struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Kind        string   `json:"kind"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Exports     []string `json:"exports"`
	Deps        []string `json:"deps"`
}

func docOf(m *Manifest) indexDoc {
	return indexDoc{Name: m.Name, Version: m.Version, Kind: string(m.Kind), Description: m.Description,
		Tags: m.Tags, Exports: m.Exports, Deps: sortedKeys(m.Dependencies)}
}

func indexMapping() mapping.IndexMapping {
	im := bleve.NewIndexMapping()
	doc := bleve.NewDocumentMapping()
	kw := bleve.NewTextFieldMapping()
	kw.Analyzer = "simple" // lower-cased words, no stemming: names and exports
	en := bleve.NewTextFieldMapping()
	en.Analyzer = "en" // descriptions: stemmed English
	doc.AddFieldMappingsAt("name", kw)
	doc.AddFieldMappingsAt("tags", kw)
	doc.AddFieldMappingsAt("exports", kw)
	doc.AddFieldMappingsAt("deps", kw)
	doc.AddFieldMappingsAt("description", en)
	stored := bleve.NewTextFieldMapping()
	stored.Index = false
	doc.AddFieldMappingsAt("version", stored)
	doc.AddFieldMappingsAt("kind", kw)
	im.DefaultMapping = doc
	return im
}

// withIndex opens (creating if needed) the bleve index for one operation.
func (r *Registry) withIndex(write bool, fn func(bleve.Index) error) error {
	cfg := map[string]any{"bolt_timeout": r.LockTimeout.String()}
	if !write {
		cfg["read_only"] = true
	}
	idx, err := bleve.OpenUsing(r.indexPath(), cfg)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		if idx, err = bleve.NewUsing(r.indexPath(), indexMapping(), bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, nil); err == nil && !write {
			idx.Close()
			idx, err = bleve.OpenUsing(r.indexPath(), cfg)
		}
	}
	if err != nil {
		return fmt.Errorf("registry: search index %s: %w (remove the directory; it is rebuilt on the next start)", r.indexPath(), err)
	}
	defer idx.Close()
	return fn(idx)
}

// indexGeneration is the state generation the index reflects.
func indexGeneration(idx bleve.Index) uint64 {
	b, _ := idx.GetInternal([]byte("gen"))
	g, _ := strconv.ParseUint(string(b), 10, 64)
	return g
}

// Search bounds: a request of the registry server or the URL bar asks for at most this many
// hits, and its first maxSearchWords words count.
const (
	maxSearchHits  = 100
	maxSearchWords = 16
)

// Search finds installed modules matching words, best first, at most n (default 20, at most
// maxSearchHits; only the first maxSearchWords words count). Names
// weigh most, then tags and exports, then the description; a word also matches as a name
// prefix and with one typo, so "blur" finds both "imagefx" (tag and export blur) and
// "blurview".
func (r *Registry) Search(q string, n int) ([]Hit, error) {
	if n <= 0 {
		n = 20
	}
	n = min(n, maxSearchHits)
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return nil, nil
	}
	words = words[:min(len(words), maxSearchWords)] // each word is a fuzzy query: bound the work
	var hits []Hit
	err := r.withIndex(false, func(idx bleve.Index) error {
		req := bleve.NewSearchRequestOptions(searchQuery(words), n, 0, false)
		req.Fields = []string{"name", "version", "kind", "description", "tags"}
		res, err := idx.Search(req)
		if err != nil {
			return err
		}
		for _, h := range res.Hits {
			hit := Hit{Name: h.ID, Score: h.Score}
			hit.Version, _ = h.Fields["version"].(string)
			k, _ := h.Fields["kind"].(string)
			hit.Kind = Kind(k)
			hit.Description, _ = h.Fields["description"].(string)
			switch t := h.Fields["tags"].(type) {
			case string:
				hit.Tags = []string{t}
			case []any:
				for _, x := range t {
					if s, ok := x.(string); ok {
						hit.Tags = append(hit.Tags, s)
					}
				}
			}
			hits = append(hits, hit)
		}
		return nil
	})
	return hits, err
}

// searchQuery: every word must match somewhere (conjunction); each word is a disjunction over
// the fields with boosts.
func searchQuery(words []string) query.Query {
	var all []query.Query
	for _, w := range words {
		field := func(q interface {
			query.Query
			SetField(string)
			SetBoost(float64)
		}, f string, boost float64) query.Query {
			q.SetField(f)
			q.SetBoost(boost)
			return q
		}
		fuzzy := bleve.NewFuzzyQuery(w)
		fuzzy.Fuzziness = 1
		alts := []query.Query{
			field(bleve.NewTermQuery(w), "name", 10),
			field(bleve.NewPrefixQuery(w), "name", 4),
			field(bleve.NewTermQuery(w), "tags", 5),
			field(bleve.NewTermQuery(w), "exports", 4),
			field(bleve.NewMatchQuery(w), "description", 2),
			field(bleve.NewTermQuery(w), "deps", 1),
			field(bleve.NewTermQuery(w), "kind", 1),
		}
		if len(w) >= 4 {
			alts = append(alts, field(fuzzy, "name", 1))
		}
		all = append(all, bleve.NewDisjunctionQuery(alts...))
	}
	if len(all) == 1 {
		return all[0]
	}
	return bleve.NewConjunctionQuery(all...)
}
