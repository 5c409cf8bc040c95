package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Member is a member of a CRM group as the Common CRM API shows it
// (docs/CRM.md).
type Member struct {
	MemberID       string    `json:"memberId"`
	GroupID        int64     `json:"groupId"`
	Msisdn         string    `json:"msisdn"`
	CreatedDateUtc time.Time `json:"createdDateUtc"`
}

// Group is a CRM group and its members, oldest first.
type Group struct {
	GroupID   int64    `json:"groupId"`
	PartnerID int64    `json:"partnerId"`
	Members   []Member `json:"members"`
}

// CRM simulates LINK's Common CRM API as docs/CRM.md decides it: a
// partner's groups of end users, signed with the same partner secrets as
// Paycore. A group is made the first time its partner adds to it. It is
// safe for concurrent use.
type CRM struct {
	env  *env
	auth *linkAuth

	mu     sync.Mutex
	groups map[int64]*crmGroup
}

type crmGroup struct {
	partnerID int64
	members   []*Member
	byMsisdn  map[string]*Member
	byID      map[string]*Member
}

func newCRM(e *env, secret func(int64) (string, bool)) *CRM {
	c := &CRM{env: e, groups: map[int64]*crmGroup{}}
	c.auth = newLinkAuth(e, "crm", secret, writeCRMError)
	return c
}

// Members returns the members of the group, oldest first; none for a group
// nobody has added to.
func (c *CRM) Members(groupID int64) []Member {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[groupID]
	if !ok {
		return nil
	}
	return g.list()
}

// Groups returns every group, by group id.
func (c *CRM) Groups() []Group {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Group, 0, len(c.groups))
	for id, g := range c.groups {
		out = append(out, Group{GroupID: id, PartnerID: g.partnerID, Members: nonNil(g.list())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GroupID < out[j].GroupID })
	return out
}

func (g *crmGroup) list() []Member {
	out := make([]Member, len(g.members))
	for i, m := range g.members {
		out[i] = *m
	}
	return out
}

// add puts msisdn into the partner's group, making the group on first use,
// and reports whether the member is new. Another partner's group is
// refused as not found, so that partners cannot see each other's groups.
func (c *CRM) add(partnerID, groupID int64, msisdn string) (Member, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[groupID]
	switch {
	case !ok:
		g = &crmGroup{partnerID: partnerID, byMsisdn: map[string]*Member{}, byID: map[string]*Member{}}
		c.groups[groupID] = g
	case g.partnerID != partnerID:
		return Member{}, false, &apiError{http.StatusNotFound, "group not found"}
	}
	if m, ok := g.byMsisdn[msisdn]; ok {
		return *m, false, nil
	}
	m := &Member{MemberID: c.env.rand.uuid(), GroupID: groupID, Msisdn: msisdn, CreatedDateUtc: c.env.now()}
	g.members = append(g.members, m)
	g.byMsisdn[msisdn], g.byID[m.MemberID] = m, m
	return *m, true, nil
}

// member returns a member of the partner's group.
func (c *CRM) member(partnerID, groupID int64, memberID string) (Member, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[groupID]
	if !ok || g.partnerID != partnerID {
		return Member{}, false
	}
	m, ok := g.byID[memberID]
	if !ok {
		return Member{}, false
	}
	return *m, true
}

// crmMessage is the CRM's error body (docs/CRM.md decision 5).
type crmMessage struct {
	Message string `json:"message"`
}

func writeCRMError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, crmMessage{message})
}

func (c *CRM) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /crm/api/sdk/members/{groupId}", c.handleAdd)
	mux.HandleFunc("GET /crm/api/sdk/members/{groupId}/{memberId}", c.handleGet)
	mux.HandleFunc("/crm/", func(w http.ResponseWriter, r *http.Request) {
		writeCRMError(w, http.StatusNotFound, "no such resource: "+r.Method+" "+r.URL.Path)
	})
	return c.auth.wrap(mux)
}

// addMemberRequest is the body of POST /api/sdk/members/{groupId}.
type addMemberRequest struct {
	Msisdn string `json:"msisdn"`
}

// groupID reads the {groupId} of the path; false after answering 404, as
// no group has such an id.
func groupID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("groupId"), 10, 64)
	if err != nil || id <= 0 {
		writeCRMError(w, http.StatusNotFound, "group not found")
		return 0, false
	}
	return id, true
}

func (c *CRM) handleAdd(w http.ResponseWriter, r *http.Request) {
	gid, ok := groupID(w, r)
	if !ok {
		return
	}
	var req addMemberRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeCRMError(w, http.StatusBadRequest, jsonFieldError(err))
		return
	}
	if !e164Pattern.MatchString(req.Msisdn) {
		writeCRMError(w, http.StatusBadRequest, "msisdn must be an E.164 number (+4799999999)")
		return
	}
	m, created, err := c.add(partnerOf(r), gid, req.Msisdn)
	var ae *apiError
	if errors.As(err, &ae) {
		writeCRMError(w, ae.status, ae.msg)
		return
	}
	if !created {
		writeJSON(w, http.StatusOK, m)
		return
	}
	c.env.log.Info("crm: member added", "partnerId", partnerOf(r), "groupId", gid,
		"memberId", m.MemberID, "msisdn", maskMSISDN(m.Msisdn))
	w.Header().Set("Location", "/crm/api/sdk/members/"+strconv.FormatInt(gid, 10)+"/"+m.MemberID)
	writeJSON(w, http.StatusCreated, m)
}

func (c *CRM) handleGet(w http.ResponseWriter, r *http.Request) {
	gid, ok := groupID(w, r)
	if !ok {
		return
	}
	m, ok := c.member(partnerOf(r), gid, r.PathValue("memberId"))
	if !ok {
		writeCRMError(w, http.StatusNotFound, "member not found")
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (c *CRM) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/crm", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string][]Group{"groups": c.Groups()})
	})
	mux.HandleFunc("GET /sandbox/crm/{groupId}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("groupId"), 10, 64)
		if err != nil {
			writeControlError(w, http.StatusNotFound, "no such group")
			return
		}
		writeJSON(w, http.StatusOK, nonNil(c.Members(id)))
	})
}
